import { describe, expect, it } from 'vitest';
import {
  barPercent,
  communitySentence,
  farBehind,
  paceOf,
  percentOf,
  progressSeries,
  ringDash,
  sectorSentence,
  yearRows,
  yearTotals,
} from './progress';
import type { MemberYear, Progress } from './types';

describe('percentages are whole and floor like the node', () => {
  it.each([
    [0, 100, 0],
    [86, 100, 86],
    [2, 3, 66],
    [150, 100, 150],
    [10, 0, 0],
  ])('%i of %i → %i%%', (done, goal, pct) => expect(percentOf(done, goal)).toBe(pct));
  it('bars never overflow their track', () => {
    expect(barPercent(150)).toBe(100);
    expect(barPercent(-3)).toBe(0);
    expect(barPercent(42)).toBe(42);
  });
  it('a ring draws the share of its circumference', () => {
    expect(ringDash(25, 100)).toBe('25.00 75.00');
    expect(ringDash(130, 100)).toBe('100.00 0.00');
  });
});

describe('collective sentences, never about a person', () => {
  it('says what the sector has done of its month', () => {
    expect(sectorSentence({ percent: 86, goal: 6000 }, 'food')).toEqual({
      key: 'community.sectorSentence',
      params: { sector: 'food', percent: 86 },
    });
    expect(sectorSentence({ percent: 0, goal: 0 }, 'arts').key).toBe('community.noGoal');
    expect(communitySentence({ percent: 71, members: 60 })).toEqual({
      key: 'community.overallSentence',
      params: { percent: 71, count: 60 },
    });
  });
});

const year: MemberYear = {
  member: 'me',
  year: 2026,
  as_of: '2026-07-02',
  sectors: [
    { sector: 'food', name: 'Food', hours: 900, baseline: 1200, expected_by_now: 600 },
    { sector: 'healthcare', name: 'Healthcare', hours: 600, baseline: 1200, expected_by_now: 600 },
    { sector: 'education', name: 'Education', hours: 120, baseline: 1200, expected_by_now: 600 },
    { sector: 'arts', name: 'Arts', hours: 3600, baseline: 3000, expected_by_now: 1500 },
  ],
  total: 5220,
  total_baseline: 6600,
  other: 0,
};

describe("a member's year against the baseline (a guideline)", () => {
  it('gives hours, percent of the baseline, the steady-pace mark and what is left', () => {
    const rows = yearRows(year);
    expect(rows[0]).toMatchObject({ hours: 15, baseline: 20, expected: 10, percent: 75, expectedPercent: 50, left: 5 });
    expect(rows[3]).toMatchObject({ hours: 60, baseline: 50, percent: 120, left: 0 });
  });
  it('words the pace kindly: ahead, steady, room to give', () => {
    expect(yearRows(year).map((r) => r.pace)).toEqual(['ahead', 'steady', 'room', 'ahead']);
    expect(paceOf(0, 0)).toBe('steady');
    expect(paceOf(10, 0)).toBe('ahead');
    expect(paceOf(95, 100)).toBe('steady');
    expect(paceOf(111, 100)).toBe('ahead');
    expect(paceOf(89, 100)).toBe('room');
  });
  it('totals the year', () => {
    expect(yearTotals(year)).toEqual({ hours: 87, baseline: 110, expected: 55, percent: 79, reached: 1 });
  });
});

describe('progress over the months', () => {
  const month = (m: string, food: number | null, arts: number): Progress => ({
    month: m,
    members: 10,
    done: 0,
    goal: 0,
    percent: 0,
    sectors: [
      ...(food === null
        ? []
        : [{ sector: 'food', name: 'Food', essential: true, done: food * 10, goal: 1000, percent: food, contributors: 1, open_tasks: 0, urgent_open: 0 }]),
      { sector: 'arts', name: 'Arts', essential: false, done: arts * 25, goal: 2500, percent: arts, contributors: 1, open_tasks: 0, urgent_open: 0 },
    ],
  });
  it('is a sectors × months table in month order, with gaps as null', () => {
    const s = progressSeries([month('2026-02', 50, 10), month('2026-01', null, 20), month('2026-03', 90, 30)]);
    expect(s.months).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(s.sectors.map((x) => x.sector)).toEqual(['arts', 'food']);
    expect(s.sectors[1].percents).toEqual([null, 50, 90]);
    expect(s.sectors[0].percents).toEqual([20, 10, 30]);
    expect(s.sectors[1].hours).toEqual([null, 8.33, 15]);
  });
});

describe('a sector far behind its goal (the Community screen offers to propose something)', () => {
  const s = (percent: number, goal = 6000) => ({ percent, goal });
  it('is below half of a steady month by now', () => {
    // 14 November: 14/30 of the month, so half of that is 23%.
    expect(farBehind(s(22), '2026-11', '2026-11-14')).toBe(true);
    expect(farBehind(s(24), '2026-11', '2026-11-14')).toBe(false);
    // The last day: half of the goal.
    expect(farBehind(s(49), '2026-11', '2026-11-30')).toBe(true);
    expect(farBehind(s(50), '2026-11', '2026-11-30')).toBe(false);
  });
  it('not in the first week, when every sector is still low', () => {
    expect(farBehind(s(0), '2026-11', '2026-11-06')).toBe(false);
    expect(farBehind(s(0), '2026-11', '2026-11-07')).toBe(true);
  });
  it('a past month against its whole goal; never a sector without one, or a month to come', () => {
    expect(farBehind(s(49), '2026-10', '2026-11-02')).toBe(true);
    expect(farBehind(s(0, 0), '2026-10', '2026-11-02')).toBe(false);
    expect(farBehind(s(0), '2026-12', '2026-11-20')).toBe(false);
  });
});
