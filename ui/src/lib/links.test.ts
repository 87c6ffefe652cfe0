import { describe, expect, it } from 'vitest';
import { findJoinLink, invitationFrom, isDeviceLink, isNeighbourLink } from './links';

const CODE = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop';

describe('invitation links', () => {
  it('a neighbour invitation says so in its link; a member invitation does not', () => {
    expect(isNeighbourLink(`weft://join/${CODE}?c=abc&k=neighbour&a=/ip4/10.0.0.1/tcp/4001`)).toBe(true);
    expect(isNeighbourLink(`weft://join/${CODE}?c=abc&k=neighbour`)).toBe(true);
    expect(isNeighbourLink(`weft://join/${CODE}?c=abc&a=/ip4/10.0.0.1/tcp/4001`)).toBe(false);
    expect(isNeighbourLink(`weft://join/${CODE}?c=abc&k=neighbours`)).toBe(false);
    expect(isNeighbourLink(CODE)).toBe(false);
  });
  it("a pairing code of the member's other computer says so in its link", () => {
    expect(isDeviceLink(`weft://join/${CODE}?k=device&a=/ip4/127.0.0.1/tcp/4001`)).toBe(true);
    expect(isDeviceLink(`weft://join/${CODE}?k=device`)).toBe(true);
    expect(isDeviceLink(`weft://join/${CODE}?c=abc&k=neighbour`)).toBe(false);
    expect(isDeviceLink(`weft://join/${CODE}?a=/ip4/10.0.0.1/tcp/4001/k=device`)).toBe(false);
    expect(isDeviceLink(CODE)).toBe(false);
    expect(invitationFrom(`  weft://join/${CODE}?k=device  `)).toBe(`weft://join/${CODE}?k=device`);
  });
  it('a link inside a message is found, with its kind', () => {
    const text = `Link our communities: weft://join/${CODE}?c=abc&k=neighbour — Coast`;
    const link = findJoinLink(text);
    expect(link).toBe(`weft://join/${CODE}?c=abc&k=neighbour`);
    expect(invitationFrom(text)).toBe(link);
  });
});
