import { describe, expect, it } from 'vitest';
import { pledgedDays, readCalendar, unescapeText, unfold } from './ics';

// As the node writes it (weft-core's calendar.rs): CRLF, lines folded at 75 octets.
const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Weft//Weft calendar//EN',
  'X-WR-CALNAME:Weft — Riverside',
  'BEGIN:VEVENT',
  'UID:task-k3j2abcd.riverside@weft',
  'DTSTAMP:20260310T090000Z',
  'DTSTART;VALUE=DATE:20260311',
  'DTEND;VALUE=DATE:20260312',
  'SUMMARY:Water the seedlings\\, then the beds',
  'DESCRIPTION:1h30 · Food · Riverside\\n\\nBring gloves\\; the tap is stiff. A l',
  ' ong line folded — across a character boundary.',
  'STATUS:CONFIRMED',
  'TRANSP:TRANSPARENT',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:task-zzzz2222.riverside@weft',
  'DTSTART;VALUE=DATE:20260312',
  'SUMMARY:Fix the fence',
  'STATUS:CANCELLED',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:meeting-aaaa.riverside@weft',
  'DTSTART:20260313T170000Z',
  'SUMMARY:Crew meeting',
  'STATUS:CONFIRMED',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('reading the member’s calendar', () => {
  it('unfolds folded lines and reads text values back', () => {
    expect(unfold('A:one\r\n  two\r\n\t three\r\nB:x')).toEqual(['A:one two three', 'B:x']);
    expect(unescapeText('a\\, b\\; c\\\\d\\ne')).toBe('a, b; c\\d\ne');
  });
  it('every event, with its day, title and status', () => {
    const events = readCalendar(ICS);
    expect(events).toEqual([
      { uid: 'task-k3j2abcd.riverside@weft', day: '2026-03-11', summary: 'Water the seedlings, then the beds', status: 'CONFIRMED' },
      { uid: 'task-zzzz2222.riverside@weft', day: '2026-03-12', summary: 'Fix the fence', status: 'CANCELLED' },
      { uid: 'meeting-aaaa.riverside@weft', day: '2026-03-13', summary: 'Crew meeting', status: 'CONFIRMED' },
    ]);
  });
  it('pledged work that is on: its task and community from the UID, cancelled ones left out', () => {
    expect(pledgedDays(readCalendar(ICS))).toEqual([
      { task: 'k3j2abcd', community: 'riverside', title: 'Water the seedlings, then the beds', day: '2026-03-11' },
    ]);
  });
  it('an empty or broken text reads as no events', () => {
    expect(readCalendar('')).toEqual([]);
    expect(readCalendar('BEGIN:VEVENT\r\nSUMMARY:never ended')).toEqual([]);
  });
});
