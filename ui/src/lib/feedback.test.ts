import { describe, expect, it } from 'vitest';
import {
  answered,
  ASK_AT_ONCE,
  ASK_WITHIN_DAYS,
  doneFromEntries,
  EMPTY_ASKS,
  noteDone,
  parseAsks,
  REMEMBER_ASKED,
  toAsk,
  type DoneWork,
} from './feedback';
import type { EntryInfo } from './types';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 10, 12); // 2026-03-10, midday
const work = (task: string, daysAgo = 0, community: string | null = 'c1'): DoneWork => ({
  task,
  title: `Task ${task}`,
  community,
  at: NOW - daysAgo * DAY,
});
const entry = (over: Partial<EntryInfo>): EntryInfo => ({
  id: 'e1',
  community: 'c1',
  member: 'me',
  member_name: 'Me',
  task: 't1',
  task_title: 'Weed the beds',
  sector: 'food',
  minutes: 60,
  date: '2026-03-09',
  note: '',
  confirmed_by: [],
  retracted: false,
  clock: null,
  ...over,
});

describe('which tasks to ask about', () => {
  it('work the member did here, newest first, a few at a time', () => {
    let s = EMPTY_ASKS;
    for (const [i, t] of ['a', 'b', 'c', 'd'].entries()) s = noteDone(s, work(t, 4 - i));
    expect(toAsk(s, [], 'c1', NOW).map((w) => w.task)).toEqual(['d', 'c', 'b'].slice(0, ASK_AT_ONCE));
  });
  it('each task once: noted twice it is one ask, answered it is never asked again', () => {
    let s = noteDone(noteDone(EMPTY_ASKS, work('a')), work('a'));
    expect(s.due).toHaveLength(1);
    s = answered(s, 'a');
    expect(toAsk(s, [], 'c1', NOW)).toEqual([]);
    // Done again later (hours logged to it again): still not asked.
    s = noteDone(s, work('a'));
    expect(toAsk(s, [work('a')], 'c1', NOW)).toEqual([]);
  });
  it('hours logged to a task from anywhere count too, with the task’s title', () => {
    const reported = doneFromEntries([entry({}), entry({ task: null, task_title: null }), entry({ task: 't2', retracted: true })]);
    expect(reported).toEqual([{ task: 't1', title: 'Weed the beds', community: 'c1', at: Date.UTC(2026, 2, 9) }]);
    expect(toAsk(EMPTY_ASKS, reported, 'c1', NOW).map((w) => w.title)).toEqual(['Weed the beds']);
  });
  it('one ask per task when both say so, at its latest', () => {
    const s = noteDone(EMPTY_ASKS, work('t1', 0));
    const asks = toAsk(s, doneFromEntries([entry({})]), 'c1', NOW);
    expect(asks).toHaveLength(1);
    expect(asks[0].at).toBe(NOW);
  });
  it('not work done weeks ago, nor another community’s', () => {
    const s = noteDone(noteDone(EMPTY_ASKS, work('old', ASK_WITHIN_DAYS + 1)), work('there', 0, 'c2'));
    expect(toAsk(s, [], 'c1', NOW)).toEqual([]);
    expect(toAsk(s, [], 'c2', NOW).map((w) => w.task)).toEqual(['there']);
    expect(toAsk(noteDone(EMPTY_ASKS, work('any', 0, null)), [], 'c1', NOW).map((w) => w.task)).toEqual(['any']);
  });
  it('remembers a bounded number of asked tasks, the newest', () => {
    let s = EMPTY_ASKS;
    for (let i = 0; i <= REMEMBER_ASKED; i++) s = answered(s, `t${i}`);
    expect(s.asked).toHaveLength(REMEMBER_ASKED);
    expect(s.asked[0]).toBe('t1');
  });
});

describe('what is remembered on this device', () => {
  it('round-trips, and anything malformed is dropped', () => {
    const s = answered(noteDone(EMPTY_ASKS, work('a')), 'b');
    expect(parseAsks(JSON.stringify(s))).toEqual(s);
    expect(parseAsks(null)).toEqual(EMPTY_ASKS);
    expect(parseAsks('not json')).toEqual(EMPTY_ASKS);
    expect(parseAsks(JSON.stringify({ due: [{ task: 1 }, work('a')], asked: ['x', 2] }))).toEqual({ due: [work('a')], asked: ['x'] });
  });
});
