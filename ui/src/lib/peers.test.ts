import { describe, expect, it } from 'vitest';
import { behindTotal, docMsg, foundByMsg, networkAdvice, peerState, syncMsg } from './peers';
import type { PeersInfo, PeerStatus } from './types';

const peer = (docs: PeerStatus['docs'], problem: string | null = null): PeerStatus => ({
  peer_id: 'p',
  device: null,
  member: 'Bea',
  found_by: 'mdns',
  address: '/ip4/10.0.0.2/tcp/4001',
  rtt_ms: 3,
  docs,
  problem,
});

describe('sync in words', () => {
  it('names documents and how peers were found', () => {
    expect(docMsg('people').key).toBe('peers.doc.people');
    expect(docMsg('ledger/2026')).toEqual({ key: 'peers.doc.ledger', params: { year: '2026' } });
    expect(docMsg('commons/x')).toEqual({ key: 'peers.doc.other', params: { name: 'commons/x' } });
    expect(foundByMsg('relay').key).toBe('peers.found.relay');
    expect(foundByMsg('carrier pigeon')).toEqual({ key: 'peers.found.other', params: { how: 'carrier pigeon' } });
  });
  it('words each state, with the reason of a failure', () => {
    expect(syncMsg({ community: 'c', doc: 'board', state: { state: 'behind', changes: 12 } })).toEqual({
      key: 'peers.sync.behind',
      params: { count: 12 },
    });
    expect(syncMsg({ community: 'c', doc: 'board', state: { state: 'failed', reason: 'refused' } }).params).toEqual({
      reason: 'refused',
    });
  });
  it("a peer is as well as its worst document", () => {
    expect(peerState(peer([{ community: 'c', doc: 'board', state: { state: 'in_sync' } }]))).toBe('in_sync');
    expect(
      peerState(
        peer([
          { community: 'c', doc: 'board', state: { state: 'syncing' } },
          { community: 'c', doc: 'people', state: { state: 'behind', changes: 2 } },
        ]),
      ),
    ).toBe('behind');
    expect(peerState(peer([], 'disconnected: sent invalid changes'))).toBe('failed');
  });
  it('counts what we still lack, the largest gap per document', () => {
    const info: PeersInfo = {
      online: true,
      peer_id: null,
      listening: [],
      incidents: [],
      clocks: [],
      peers: [
        peer([{ community: 'c', doc: 'board', state: { state: 'behind', changes: 5 } }]),
        peer([
          { community: 'c', doc: 'board', state: { state: 'behind', changes: 7 } },
          { community: 'c', doc: 'ledger/2026', state: { state: 'behind', changes: 3 } },
        ]),
      ],
    };
    expect(behindTotal(info)).toBe(10);
    expect(networkAdvice(info)).toBeNull();
  });
  it('says what to do when offline, alone, or failing', () => {
    const base: PeersInfo = { online: false, peer_id: null, listening: [], peers: [], incidents: [], clocks: [] };
    expect(networkAdvice(base)?.key).toBe('peers.advice.offline');
    expect(networkAdvice({ ...base, online: true })?.key).toBe('peers.advice.alone');
    expect(
      networkAdvice({ ...base, online: true, peers: [peer([{ community: 'c', doc: 'b', state: { state: 'failed', reason: 'x' } }])] })
        ?.key,
    ).toBe('peers.advice.failed');
  });
});

describe('a real answer with a peer connected (two demo peers on loopback)', async () => {
  const real = (await import('./fixtures/peers-connected.json')).default as PeersInfo;
  it('is in sync on every document, with nothing to advise', () => {
    expect(real.online).toBe(true);
    expect(real.peers.length).toBeGreaterThan(0);
    expect(real.peers.map(peerState)).toEqual(real.peers.map(() => 'in_sync'));
    expect(behindTotal(real)).toBe(0);
    expect(networkAdvice(real)).toBeNull();
  });
});
