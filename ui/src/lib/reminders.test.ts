import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import proposalsJson from './fixtures/proposals.json';
import { renderMsg, translate, type Msg } from './i18n';
import type { PledgedDay } from './ics';
import {
  CLOSING_WITHIN_MS,
  dueReminders,
  openRoundCloses,
  pledgesToCheck,
  REMEMBER_REMINDED,
  rememberSent,
  REMINDER_KINDS,
  stillToDo,
  type ReminderInput,
  type ReminderKind,
} from './reminders';
import type { CrewInfo, GatheringInfo, PledgeView, ProposalInfo, Rhythm, TaskDetail } from './types';

const english = (m: Msg) => renderMsg(m, (k, p) => translate(en, 'en', k, p));
// The proposals' fixture was saved at 2026-12-07 10:00 UTC.
const NOW = Date.UTC(2026, 11, 7, 10, 0);
const proposals = proposalsJson as ProposalInfo[];
const ALL: Record<ReminderKind, boolean> = { pledge: true, proposal: true, review: true, crew: true, gathering: true };
/** Only the kinds named. */
const only = (...kinds: ReminderKind[]) => Object.fromEntries(REMINDER_KINDS.map((k) => [k, kinds.includes(k)])) as Record<ReminderKind, boolean>;

const day = (task: string, d: string): PledgedDay => ({ task, community: 'c1', title: `Task ${task}`, day: d });
const input = (over: Partial<ReminderInput> = {}): ReminderInput => ({
  today: '2026-12-07',
  now: NOW,
  pledged: [],
  proposals: [],
  crews: [],
  gatherings: [],
  ...over,
});
const bodies = (i: ReminderInput, wanted = ALL, sent = new Set<string>()) => dueReminders(i, wanted, sent).map((r) => english(r.body));

describe('pledged work', () => {
  const pledged = [day('a', '2026-12-06'), day('b', '2026-12-07'), day('c', '2026-12-08'), day('d', '2026-12-09')];
  it('is reminded on its day and the day before, not earlier or after', () => {
    expect(bodies(input({ pledged }))).toEqual(['Today: Task b', 'Tomorrow: Task c']);
  });
  it('once per task and day: reminded the day before, not again on the day', () => {
    const sent = new Set(dueReminders(input({ today: '2026-12-07', pledged }), ALL, new Set()).map((r) => r.key));
    expect(bodies(input({ today: '2026-12-08', pledged }), ALL, sent)).toEqual(['Tomorrow: Task d']);
    // Its day moved (the member chose another): a new reminder.
    const moved = [day('c', '2026-12-09')];
    expect(bodies(input({ today: '2026-12-08', pledged: moved }), ALL, sent)).toEqual(['Tomorrow: Task c']);
  });
  it('only those not reminded yet are looked at on their task’s page', () => {
    const sent = new Set(['pledge:b:2026-12-07']);
    expect(pledgesToCheck(input({ pledged }), sent).map((p) => p.task)).toEqual(['c']);
  });
  it('is still to do while the member holds a place on an open task', () => {
    const me: PledgeView = { member: 'me', name: 'Me', state: 'pledged', at: 0, on: null, stand_in: false, stands_in_for: null, handed_over_to: null, crew: null };
    const task = (over: Partial<TaskDetail>, mine: Partial<PledgeView> = {}) =>
      ({ status: 'open', my_pledge: 'pledged', pledges: [{ ...me, ...mine }], ...over }) as TaskDetail;
    expect(stillToDo(task({}), 'me')).toBe(true);
    expect(stillToDo(task({ my_pledge: 'done' }), 'me')).toBe(false);
    expect(stillToDo(task({ status: 'closed' }), 'me')).toBe(false);
    expect(stillToDo(task({}, { stand_in: true, handed_over_to: 'Ben' }), 'me')).toBe(false);
    // Looking for a stand-in, nobody found: still theirs.
    expect(stillToDo(task({}, { stand_in: true }), 'me')).toBe(true);
    // A neighbour's call: as the calendar says.
    expect(stillToDo(null, 'me')).toBe(true);
  });
});

describe('proposals and outcomes', () => {
  it('an open round closing within a day, on which I took no stance', () => {
    expect(bodies(input({ proposals }), only('proposal'))).toEqual([
      "“Replace the garden's water pump instead of repairing it again” closes within a day, and you have not said where you stand yet.",
    ]);
  });
  it('not once it closed, nor days before, nor when I took a stance', () => {
    const replace = proposals.find((p) => p.title.startsWith('Replace')) as ProposalInfo;
    const closes = openRoundCloses(replace) as number;
    const proposal = only('proposal');
    expect(bodies(input({ proposals: [replace], now: closes - CLOSING_WITHIN_MS - 1 }), proposal)).toEqual([]);
    expect(bodies(input({ proposals: [replace], now: closes }), proposal)).toEqual([]);
    expect(bodies(input({ proposals: [{ ...replace, my_stance: 'agree' }] }), proposal)).toEqual([]);
    expect(bodies(input({ proposals: [{ ...replace, choices: [] }] }), proposal)).toEqual([]);
  });
  it('a new round is a new reminder', () => {
    const replace = proposals.find((p) => p.title.startsWith('Replace')) as ProposalInfo;
    const [r] = dueReminders(input({ proposals: [replace] }), ALL, new Set());
    expect(r.key).toBe(`proposal:${replace.id}:2`);
  });
  it('an outcome whose review date has come, once per review date', () => {
    const due = dueReminders(input({ proposals }), only('review'), new Set());
    expect(due.map((r) => [r.key.replace(/:[^:]+:/, ':…:'), english(r.title), english(r.body)])).toEqual([
      ['review:…:2026-12-07', 'Time to look again at a decision', '“Move the repair café to the first Saturday of the month”: the day set to review it has come.'],
    ]);
  });
});

describe('crews’ meetings', () => {
  // 2026-12-07 is a Monday; the crew meets every Tuesday at 19:30, from 2026-11-03.
  const tuesdays: Rhythm = { repeat: { repeat: 'weekly', every: 1, weekday: 1 }, starts: '2026-11-03', time: 1170, minutes: 90, place: 'The library' };
  const crew = (over: Partial<CrewInfo> = {}) =>
    ({ id: 'k1', name: 'Tuesday tea', rhythm: tuesdays, mine: true, waiting_for_place: false, ended: false, next_meeting: '2026-11-03', ...over }) as CrewInfo;
  it('the day before a meeting of my crew, worked out from its rhythm (not a day-old answer)', () => {
    expect(bodies(input({ crews: [crew()] }), only('crew'))).toEqual(['Tomorrow at 19:30: Tuesday tea, at The library']);
    expect(bodies(input({ today: '2026-12-08', crews: [crew({ rhythm: { ...tuesdays, place: null } })] }), only('crew'))).toEqual([
      'Today at 19:30: Tuesday tea',
    ]);
    expect(bodies(input({ today: '2026-12-05', crews: [crew()] }), only('crew'))).toEqual([]);
  });
  it('once per meeting: reminded the day before, not again on the day', () => {
    const sent = new Set(dueReminders(input({ crews: [crew()] }), only('crew'), new Set()).map((r) => r.key));
    expect(sent).toEqual(new Set(['crew:k1:2026-12-08']));
    expect(bodies(input({ today: '2026-12-08', crews: [crew()] }), only('crew'), sent)).toEqual([]);
  });
  it('not for crews I am not in, wait for a place in, that ended or have no rhythm', () => {
    const crews = [crew({ mine: false }), crew({ waiting_for_place: true }), crew({ ended: true }), crew({ rhythm: null })];
    expect(bodies(input({ crews }), only('crew'))).toEqual([]);
  });
});

describe('gatherings', () => {
  const gathering = (over: Partial<GatheringInfo> = {}) =>
    ({ id: 'g1', title: 'Harvest weekend', starts: '2026-12-08', ends: '2026-12-09', place: 'The meadow', cancelled: false, coming: true, ...over }) as GatheringInfo;
  it('the day before one I said I am coming to, once', () => {
    expect(bodies(input({ gatherings: [gathering()] }), only('gathering'))).toEqual(['Tomorrow: Harvest weekend, at The meadow']);
    const [r] = dueReminders(input({ gatherings: [gathering({ place: null })] }), only('gathering'), new Set());
    expect([r.key, english(r.title), english(r.body)]).toEqual(['gathering:g1:2026-12-08', "A gathering you're coming to", 'Tomorrow: Harvest weekend']);
  });
  it('not on its day, nor when I am not coming, have not said, or it was called off', () => {
    const one = (over: Partial<GatheringInfo>) => bodies(input({ gatherings: [gathering(over)] }), only('gathering'));
    expect(one({ starts: '2026-12-07' })).toEqual([]);
    expect(one({ coming: false })).toEqual([]);
    expect(one({ coming: null })).toEqual([]);
    expect(one({ cancelled: true })).toEqual([]);
  });
});

describe('choosing and remembering', () => {
  it('only the kinds the member wants', () => {
    const i = input({ pledged: [day('b', '2026-12-07')], proposals });
    expect(dueReminders(i, ALL, new Set()).map((r) => r.kind)).toEqual(['pledge', 'proposal', 'review']);
    expect(dueReminders(i, only(), new Set())).toEqual([]);
    expect(REMINDER_KINDS).toEqual(['pledge', 'proposal', 'review', 'crew', 'gathering']);
  });
  it('remembers what it sent, newest last, within a bound', () => {
    expect(rememberSent(['a', 'b'], [{ key: 'a' }, { key: 'c' }])).toEqual(['b', 'a', 'c']);
    const many = Array.from({ length: REMEMBER_REMINDED }, (_, i) => `k${i}`);
    const after = rememberSent(many, [{ key: 'new' }]);
    expect(after).toHaveLength(REMEMBER_REMINDED);
    expect(after[0]).toBe('k1');
  });
});
