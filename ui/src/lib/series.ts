// Recurring tasks: when a series comes round, in words and in days. Plain functions, tested
// without a DOM. The days follow the node's rule (weft-core's `Repeat::days`), so the form
// can show the first days before anything is sent.

import { addDays, dayNumber, daysBetween } from './format';
import { msg, type Msg } from './i18n';
import type { DateStr, OccurrenceInfo, Repeat, RepeatInput, SeriesInfo } from './types';

/** `nth` for the last such weekday of a month. */
export const LAST = 5;
/** 0 = Monday … 6 = Sunday, as the node counts them. */
export const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;
/** First to fourth, then the last. */
export const NTHS = [1, 2, 3, 4, LAST] as const;

/** The weekday of a day: 0 = Monday … 6 = Sunday. */
export function weekdayOf(date: DateStr): number {
  // 1970-01-01 was a Thursday (3).
  return ((((dayNumber(date) ?? 0) + 3) % 7) + 7) % 7;
}

/** Which such weekday of its month a day is, as the node reads it: 1–4, or the last from the 29th on. */
export function nthOf(date: DateStr): number {
  const day = Number(date.slice(8, 10));
  return Math.min(LAST, Math.floor((day - 1) / 7) + 1);
}

/** The repeat the node makes of what a member said (left out: the start day's). */
export function repeatOf(input: RepeatInput, starts: DateStr): Repeat {
  const weekday = input.weekday ?? weekdayOf(starts);
  if (input.kind === 'weekly') return { repeat: 'weekly', every: input.every ?? 1, weekday };
  return { repeat: 'monthly', nth: Math.min(LAST, input.nth ?? nthOf(starts)), weekday };
}

/** A weekday's name. */
export function weekdayMsg(weekday: number): Msg {
  return msg(`series.day.d${weekday}`);
}

/** "every Tuesday", "every second Tuesday", "on the last Friday of each month". */
export function repeatMsg(r: Repeat): Msg {
  const day = weekdayMsg(r.weekday);
  if (r.repeat === 'monthly') return msg(`series.monthly.n${Math.min(LAST, Math.max(1, r.nth))}`, { day });
  if (r.every <= 1) return msg('series.weekly.every1', { day });
  if (r.every <= 4) return msg(`series.weekly.every${r.every}`, { day });
  return msg('series.weekly.everyN', { day, count: r.every });
}

function monthStart(year: number, month: number): DateStr {
  return `${year}-${String(month).padStart(2, '0')}-01`;
}

/** The `nth` (1–4, or 5 for the last) `weekday` of a month, or null when it has no such day. */
export function nthWeekday(year: number, month: number, nth: number, weekday: number): DateStr | null {
  const first = monthStart(year, month);
  const firstSuch = addDays(first, (weekday - weekdayOf(first) + 7) % 7);
  const sameMonth = (d: DateStr) => d.slice(0, 7) === first.slice(0, 7);
  if (nth >= LAST) {
    let d = firstSuch;
    while (sameMonth(addDays(d, 7))) d = addDays(d, 7);
    return d;
  }
  const d = addDays(firstSuch, 7 * (nth - 1));
  return sameMonth(d) ? d : null;
}

/** The days a series that starts on `starts` comes round in `[from, to]`, in order. */
export function repeatDays(r: Repeat, starts: DateStr, from: DateStr, to: DateStr): DateStr[] {
  const out: DateStr[] = [];
  const start = from < starts ? starts : from;
  if (start > to) return out;
  if (r.repeat === 'weekly') {
    // The first such weekday on or after the start; then every `every` weeks.
    const first = addDays(starts, (r.weekday - weekdayOf(starts) + 7) % 7);
    const step = 7 * Math.max(1, r.every);
    const gap = daysBetween(first, start);
    const skip = gap > 0 ? Math.ceil(gap / step) : 0;
    for (let d = addDays(first, skip * step); d <= to; d = addDays(d, step)) out.push(d);
    return out;
  }
  let y = Number(start.slice(0, 4));
  let m = Number(start.slice(5, 7));
  while (monthStart(y, m) <= to) {
    const d = nthWeekday(y, m, r.nth, r.weekday);
    if (d && d >= start && d <= to) out.push(d);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** The next `n` days a series comes round from `from` on: within its end, skipped days left out. */
export function nextDays(
  r: Repeat,
  starts: DateStr,
  from: DateStr,
  n: number,
  until: DateStr | null = null,
  skipped: readonly DateStr[] = [],
): DateStr[] {
  const out: DateStr[] = [];
  // A monthly series comes round at least every five weeks: a year holds any `n` up to 12.
  let lo = from;
  for (let tries = 0; out.length < n && tries < 10; tries++) {
    let hi = addDays(lo, 366);
    if (until && hi > until) hi = until;
    for (const d of repeatDays(r, starts, lo, hi)) if (!skipped.includes(d) && out.length < n) out.push(d);
    if (until && hi >= until) break;
    lo = addDays(hi, 1);
  }
  return out;
}

/** The series a reference names (its id, or the start of it), or null. */
export function findSeries<T extends { series: { id: string } }>(list: readonly T[], ref: string): T | null {
  return list.find((s) => s.series.id === ref) ?? list.find((s) => s.series.id.startsWith(ref)) ?? null;
}

/** Each series' repeat, by its id: the words beside its days on the board and on a task's page. */
export function repeatsById(list: readonly SeriesInfo[]): Map<string, Repeat> {
  return new Map(list.map((s) => [s.series.id, s.series.repeat]));
}

/** A made day that can still be skipped: open, today or later. */
export function canSkip(o: OccurrenceInfo, today: DateStr): boolean {
  return o.open && o.on >= today;
}
