// Collective progress and a member's own year against the baseline. Percentages are whole
// numbers computed like the node (floor), so the UI and `weft progress` agree.

import { msg, type Msg } from './i18n';
import { hoursOf } from './format';
import type { MemberYear, Progress, SectorProgress } from './types';

/** Whole percent of `goal` done (0 when there is no goal); may pass 100. */
export function percentOf(done: number, goal: number): number {
  if (goal <= 0) return 0;
  return Math.floor((done * 100) / goal);
}

/** The width of a bar, 0–100 (a bar never overflows its track; the words say "over"). */
export function barPercent(percent: number): number {
  return Math.max(0, Math.min(100, percent));
}

/** "The food sector has done 86% of this month's goal." */
export function sectorSentence(s: Pick<SectorProgress, 'percent' | 'goal'>, sectorName: string): Msg {
  if (s.goal <= 0) return msg('community.noGoal', { sector: sectorName });
  return msg('community.sectorSentence', { sector: sectorName, percent: s.percent });
}

export function communitySentence(p: Pick<Progress, 'percent' | 'members'>): Msg {
  return msg('community.overallSentence', { percent: p.percent, count: p.members });
}

/** One line of a member's year: hours against the yearly baseline and a steady pace. */
export interface YearRow {
  sector: string;
  name: string;
  hours: number;
  baseline: number;
  expected: number;
  /** Whole percent of the yearly baseline. */
  percent: number;
  /** Where a steady pace would be by now, as a percent of the baseline (0–100). */
  expectedPercent: number;
  pace: 'ahead' | 'steady' | 'room';
  /** Hours left to the baseline (0 once reached). */
  left: number;
}

/**
 * Within 10% of the steady pace counts as "steady"; above is "ahead"; below is "room to
 * give" — a guideline, never a quota, so nothing is worded as a shortfall.
 */
export function paceOf(minutes: number, expected: number): YearRow['pace'] {
  if (expected <= 0) return minutes > 0 ? 'ahead' : 'steady';
  const ratio = minutes / expected;
  if (ratio > 1.1) return 'ahead';
  if (ratio >= 0.9) return 'steady';
  return 'room';
}

export function yearRows(y: MemberYear): YearRow[] {
  return y.sectors.map((s) => ({
    sector: s.sector,
    name: s.name,
    hours: hoursOf(s.hours),
    baseline: hoursOf(s.baseline),
    expected: hoursOf(s.expected_by_now),
    percent: percentOf(s.hours, s.baseline),
    expectedPercent: barPercent(percentOf(s.expected_by_now, s.baseline)),
    pace: paceOf(s.hours, s.expected_by_now),
    left: hoursOf(Math.max(0, s.baseline - s.hours)),
  }));
}

export interface YearTotals {
  hours: number;
  baseline: number;
  expected: number;
  percent: number;
  /** Sectors where the baseline is reached. */
  reached: number;
}

export function yearTotals(y: MemberYear): YearTotals {
  const expected = y.sectors.reduce((n, s) => n + s.expected_by_now, 0);
  return {
    hours: hoursOf(y.total),
    baseline: hoursOf(y.total_baseline),
    expected: hoursOf(expected),
    percent: percentOf(y.total, y.total_baseline),
    reached: y.sectors.filter((s) => s.baseline > 0 && s.hours >= s.baseline).length,
  };
}

/** The SVG ring's dash for a percent: stroke length on a circle of circumference `c`. */
export function ringDash(percent: number, c: number): string {
  const on = (barPercent(percent) / 100) * c;
  return `${on.toFixed(2)} ${(c - on).toFixed(2)}`;
}

export interface SeriesTable {
  months: string[];
  sectors: { sector: string; name: string; percents: (number | null)[]; hours: (number | null)[] }[];
}

/**
 * Months of progress as a table of sectors × months (percent of each month's goal), for the
 * chart and for its data-table alternative. A sector missing in a month gives null.
 */
export function progressSeries(months: readonly Progress[]): SeriesTable {
  const sorted = [...months].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
  const order: { sector: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const p of sorted)
    for (const s of p.sectors)
      if (!seen.has(s.sector)) {
        seen.add(s.sector);
        order.push({ sector: s.sector, name: s.name });
      }
  return {
    months: sorted.map((p) => p.month),
    sectors: order.map(({ sector, name }) => ({
      sector,
      name,
      percents: sorted.map((p) => p.sectors.find((s) => s.sector === sector)?.percent ?? null),
      hours: sorted.map((p) => {
        const s = p.sectors.find((x) => x.sector === sector);
        return s ? hoursOf(s.done) : null;
      }),
    })),
  };
}

/** A sector is far behind when it has done less than half of what a steady month would have by now. */
export const FAR_BEHIND_SHARE = 0.5;
/** Not before a week of the month has passed: at its start every sector is "behind". */
export const FAR_BEHIND_FROM_DAY = 7;

/**
 * Whether a sector is far behind its goal in `month`, as of `today` (`YYYY-MM-DD`): below
 * half of the goal pro-rated to the day (a past month: below half of the whole goal). A
 * sector without a goal never is. The Community screen then offers to propose something.
 */
export function farBehind(s: Pick<SectorProgress, 'percent' | 'goal'>, month: string, today: string): boolean {
  if (s.goal <= 0) return false;
  const thisMonth = today.slice(0, 7);
  if (month > thisMonth) return false;
  let share = 1;
  if (month === thisMonth) {
    const day = Number(today.slice(8, 10));
    if (day < FAR_BEHIND_FROM_DAY) return false;
    const [y, m] = month.split('-').map(Number);
    share = day / new Date(Date.UTC(y, m, 0)).getUTCDate();
  }
  return s.percent < share * 100 * FAR_BEHIND_SHARE;
}
