import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import {
  answerOf,
  checkGathering,
  checkGatheringEdit,
  checkGatheringTask,
  comingMsg,
  daysMsg,
  EMPTY_GATHERING_FORM,
  gatheringTaskForm,
  gatheringToForm,
  isNoGatheringEdit,
  isOn,
  lengthInDays,
  placesMsg,
  splitGatherings,
} from './gatherings';
import { renderMsg, translate, type MessageTree, type Msg } from './i18n';
import type { GatheringInfo, TaskSummary } from './types';

const words = (tree: MessageTree, lang: string) => (m: Msg) => renderMsg(m, (k, p) => translate(tree, lang, k, p));
const english = words(en, 'en');
const spanish = words(es, 'es');
const TODAY = '2026-06-01';

function gathering(over: Partial<GatheringInfo> = {}): GatheringInfo {
  return {
    community: 'c1',
    id: 'g1',
    title: 'Harvest weekend',
    description: '',
    starts: '2026-06-13',
    ends: '2026-06-14',
    place: 'The meadow',
    cancelled: false,
    created_by: 'Ana',
    attending: [{ member: 'ana', name: 'Ana' }],
    coming: null,
    tasks: [],
    open_places: 0,
    ...over,
  };
}

describe('a gathering in words', () => {
  it('its days', () => {
    expect(english(daysMsg(gathering()))).toBe('from 2026-06-13 to 2026-06-14');
    expect(spanish(daysMsg(gathering({ ends: '2026-06-13' })))).toBe('el 2026-06-13');
    expect(lengthInDays('2026-06-13', '2026-06-14')).toBe(2);
  });
  it('who is coming and the places open on its tasks', () => {
    expect(english(comingMsg(gathering()))).toBe('1 coming');
    expect(spanish(comingMsg(gathering({ attending: [] })))).toBe('nadie ha dicho aún que viene');
    expect(english(placesMsg(gathering()))).toBe('no tasks for it yet');
    const tasks = [{ id: 't1' } as TaskSummary];
    expect(english(placesMsg(gathering({ tasks, open_places: 3 })))).toBe('3 places open on its tasks');
    expect(english(placesMsg(gathering({ tasks, open_places: 0 })))).toBe('every place on its tasks is taken');
  });
  it('the member’s answer', () => {
    expect(answerOf(gathering({ coming: true }))).toBe('coming');
    expect(answerOf(gathering({ coming: false }))).toBe('not-coming');
    expect(answerOf(gathering())).toBe('unsaid');
  });
  it('those called off apart; going on today', () => {
    const s = splitGatherings([gathering({ id: 'a' }), gathering({ id: 'b', cancelled: true })]);
    expect([s.on.map((g) => g.id), s.off.map((g) => g.id)]).toEqual([['a'], ['b']]);
    expect(isOn(gathering(), '2026-06-14')).toBe(true);
    expect(isOn(gathering(), '2026-06-15')).toBe(false);
  });
});

describe('announcing a gathering', () => {
  const form = { ...EMPTY_GATHERING_FORM, title: ' Harvest ', starts: '2026-06-13', ends: '2026-06-14', place: ' ' };
  it('sends what was typed, trimmed; no last day is the first', () => {
    expect(checkGathering(form, TODAY)).toEqual({
      ok: true,
      value: { title: 'Harvest', description: '', starts: '2026-06-13', ends: '2026-06-14', place: null },
    });
    const one = checkGathering({ ...form, ends: '' }, TODAY);
    expect(one.ok && one.value.ends).toBeNull();
  });
  it('refuses a first day gone, a last day before the first, more days than a gathering lasts', () => {
    const errs = (f: typeof form) => {
      const c = checkGathering(f, TODAY);
      return c.ok ? {} : c.errors;
    };
    expect(Object.keys(errs({ ...form, title: '', starts: '' }))).toEqual(['title', 'starts']);
    expect(Object.keys(errs({ ...form, starts: '2026-05-31' }))).toEqual(['starts']);
    expect(Object.keys(errs({ ...form, ends: '2026-06-12' }))).toEqual(['ends']);
    expect(english(errs({ ...form, ends: '2026-06-27' }).ends as Msg)).toBe('A gathering lasts at most 14 days.');
    expect(errs({ ...form, ends: '2026-06-26' })).toEqual({});
  });
});

describe('changing a gathering sends only what changed', () => {
  const g = gathering({ starts: '2026-05-30', ends: '2026-06-02' });
  it('nothing changed (a first day gone by may stay): nothing sent', () => {
    const e = checkGatheringEdit(g, gatheringToForm(g), TODAY);
    expect(e.ok && isNoGatheringEdit(e.value)).toBe(true);
  });
  it('a new last day and no place', () => {
    const e = checkGatheringEdit(g, { ...gatheringToForm(g), ends: '2026-06-03', place: '' }, TODAY);
    expect(e.ok && e.value).toEqual({ title: null, description: null, starts: null, ends: '2026-06-03', cancelled: null, place: null });
  });
});

describe('a task for a gathering', () => {
  it('is due on its first day, at its place, unless said', () => {
    const f = gatheringTaskForm(gathering(), 'food', TODAY);
    expect([f.deadline, f.location, f.sector]).toEqual(['2026-06-13', 'The meadow', 'food']);
    // Begun already: due today.
    expect(gatheringTaskForm(gathering({ starts: '2026-05-31' }), 'food', TODAY).deadline).toBe(TODAY);
  });
  it('is checked as any task', () => {
    const ctx = { today: TODAY, sectors: [{ id: 'food' }], guilds: [] };
    const c = checkGatheringTask({ ...gatheringTaskForm(gathering(), 'food', TODAY), title: 'Cook', hours: '4', slots: '3', openToNeighbours: true }, ctx);
    expect(c.ok && [c.value.title, c.value.hours, c.value.slots, c.value.deadline, c.value.open_to_neighbours]).toEqual([
      'Cook',
      240,
      3,
      '2026-06-13',
      false,
    ]);
    expect(checkGatheringTask({ ...gatheringTaskForm(gathering(), 'food', TODAY) }, ctx).ok).toBe(false);
  });
});
