// Reading the iCalendar text the node writes (`calendar`: the member's pledged work with its
// day) back into events, for reminders: the one answer of the node that lists every pledge of
// the member with the day it falls on (the pledge's own day, else the task's). RFC 5545's
// lines: folded at 75 octets (a continuation starts with a space or a tab), text escaped.

import type { DateStr } from './types';

export interface CalendarEvent {
  uid: string;
  /** The day it starts on (the UTC day for an instant), or null if it has none. */
  day: DateStr | null;
  summary: string;
  /** `CONFIRMED`, `TENTATIVE`, `CANCELLED`, or '' when not said. */
  status: string;
}

/** Lines unfolded: a line that starts with a space or a tab continues the one before. */
export function unfold(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length) out[out.length - 1] += line.slice(1);
    else if (line) out.push(line);
  }
  return out;
}

/** A TEXT value as written: `\n`, `\,`, `\;` and `\\` read back. */
export function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** `20260314` or `20260314T170000Z` → `2026-03-14`. */
function dayOf(v: string): DateStr | null {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** The events of a calendar, in the order written. */
export function readCalendar(text: string): CalendarEvent[] {
  const out: CalendarEvent[] = [];
  let e: CalendarEvent | null = null;
  for (const line of unfold(text)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).split(';')[0].toUpperCase();
    const value = line.slice(colon + 1);
    if (name === 'BEGIN' && value.toUpperCase() === 'VEVENT') e = { uid: '', day: null, summary: '', status: '' };
    else if (name === 'END' && value.toUpperCase() === 'VEVENT') {
      if (e) out.push(e);
      e = null;
    } else if (e) {
      if (name === 'UID') e.uid = unescapeText(value);
      else if (name === 'DTSTART') e.day = dayOf(value);
      else if (name === 'SUMMARY') e.summary = unescapeText(value);
      else if (name === 'STATUS') e.status = value.toUpperCase();
    }
  }
  return out;
}

/** A pledge's event: the task and its community, from the UID the node gives it. */
export interface PledgedDay {
  task: string;
  community: string;
  title: string;
  day: DateStr;
}

/** The pledged work that is on (not cancelled: withdrawn, handed over, or closed undone). */
export function pledgedDays(events: readonly CalendarEvent[]): PledgedDay[] {
  const out: PledgedDay[] = [];
  for (const e of events) {
    const m = /^task-([a-z2-7]+)\.([a-z2-7]+)@weft$/.exec(e.uid);
    if (!m || !e.day || e.status === 'CANCELLED') continue;
    out.push({ task: m[1], community: m[2], title: e.summary, day: e.day });
  }
  return out;
}
