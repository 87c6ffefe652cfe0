// Dates, months and durations: parsing what people type and formatting what the node says.
// Durations are whole minutes, as in the node; dates are `YYYY-MM-DD` calendar days.

import type { DateStr, MonthStr } from './types';

/** Hours as a number for display (1.5 for 90 minutes). */
export function hoursOf(minutes: number): number {
  return Math.round((minutes / 60) * 100) / 100;
}

/**
 * Reads hours the way the node does: "2", "1.5", "0.25", "1,5", "1h30", "1h", "90m", "2 h".
 * Returns whole minutes, or null when the text is not a number of hours.
 */
export function parseHours(text: string): number | null {
  let t = text.trim().toLowerCase();
  if (!t) return null;
  t = t.replace(/\s*(hours|hour|horas|hora)$/, '').trim();
  const hm = /^(\d+)\s*h\s*(?:(\d+)\s*(?:min|m)?)?$/.exec(t);
  if (hm) {
    const m = hm[2] ? Number(hm[2]) : 0;
    if (m >= 60) return null;
    return Number(hm[1]) * 60 + m;
  }
  const mins = /^(\d+)\s*(?:min|m)$/.exec(t);
  if (mins) return Number(mins[1]);
  // Decimal hours with at most two decimals; a comma is a decimal separator too.
  const dec = /^(\d*)(?:[.,](\d{1,2}))?$/.exec(t.replace(/\s*h$/, ''));
  if (!dec || (dec[1] === '' && dec[2] === undefined)) return null;
  const int = dec[1] === '' ? 0 : Number(dec[1]);
  const frac = dec[2] ?? '';
  const hundredths = frac.length === 0 ? 0 : frac.length === 1 ? Number(frac) * 10 : Number(frac);
  return int * 60 + Math.floor((hundredths * 60 + 50) / 100);
}

/** A time of day in minutes after midnight as a clock shows it: 1170 → "19:30" (past 23:59 as it is, "25:00"). */
export function clockOf(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** A time of day as typed ("19:30", "7:05", "19.30", "1930"), in minutes after midnight, or null. */
export function parseClock(text: string): number | null {
  const m = /^(\d{1,2})(?:[:.h]?(\d{2}))?$/.exec(text.trim().toLowerCase());
  if (!m) return null;
  const h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  if (h > 23 || min > 59) return null;
  return h * 60 + min;
}

/** Today's calendar date where the member is (not UTC). */
export function todayStr(now: Date = new Date()): DateStr {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

export function monthOf(date: DateStr): MonthStr {
  return date.slice(0, 7);
}

/** Days since 1970-01-01 of a `YYYY-MM-DD`, or null when it is not a real date. */
export function dayNumber(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return Math.round(ms / 86_400_000);
}

export function isDate(text: string): boolean {
  return dayNumber(text) !== null;
}

/** `to - from` in days (both valid dates). */
export function daysBetween(from: DateStr, to: DateStr): number {
  return (dayNumber(to) ?? 0) - (dayNumber(from) ?? 0);
}

export function addDays(date: DateStr, days: number): DateStr {
  const n = (dayNumber(date) ?? 0) + days;
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

/** The `n` months up to and including `month`, oldest first. */
export function monthsUpTo(month: MonthStr, n: number): MonthStr[] {
  const [y, m] = month.split('-').map(Number);
  const out: MonthStr[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const idx = y * 12 + (m - 1) - i;
    out.push(`${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dtf(locale: string, opts: Intl.DateTimeFormatOptions, tag: string): Intl.DateTimeFormat {
  const key = `${locale}/${tag}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...opts, timeZone: 'UTC' });
    dateFormats.set(key, f);
  }
  return f;
}

export function formatDate(locale: string, date: DateStr): string {
  const n = dayNumber(date);
  if (n === null) return date;
  return dtf(locale, { dateStyle: 'medium' }, 'date').format(new Date(n * 86_400_000 + 43_200_000));
}

export function formatMonth(locale: string, month: MonthStr, style: 'long' | 'short' = 'long'): string {
  const n = dayNumber(`${month}-01`);
  if (n === null) return month;
  return dtf(locale, { month: style, year: 'numeric' }, `month-${style}`).format(new Date(n * 86_400_000 + 43_200_000));
}

/** An instant (ms) as a local date and time. */
export function formatInstant(locale: string, ms: number): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

/** "a, b and c" in the locale's words. */
export function formatList(locale: string, items: string[]): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}

/** A slug as words when no translation exists: "first-aid" → "first aid". */
export function humanize(slug: string): string {
  return slug.replace(/-/g, ' ');
}

/** Free text to a slug the node accepts ("First aid" → "first-aid"), or null. */
export function slugify(text: string): string | null {
  let out = '';
  for (const c of text.trim().toLowerCase()) {
    if (/[a-z0-9]/.test(c)) out += c;
    else if (out && !out.endsWith('-')) out += '-';
  }
  out = out.replace(/-+$/, '');
  return /^[a-z][a-z0-9-]{0,39}$/.test(out) ? out : null;
}
