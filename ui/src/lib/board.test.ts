import { describe, expect, it } from 'vitest';
import {
  activeFilters,
  comparePressing,
  deadlineMsg,
  EMPTY_FILTER,
  filterTasks,
  groupBoard,
  placesMsg,
  skillsOf,
  sortPressing,
  standInsMsg,
  urgencyLook,
  type BoardTask,
} from './board';
import type { Guild, Sector, Urgency } from './types';

let n = 0;
function task(over: Partial<BoardTask> = {}): BoardTask {
  n++;
  return {
    id: `task${String(n).padStart(4, '0')}`,
    title: `Task ${n}`,
    description: '',
    sector: 'food',
    guild: null,
    skills: [],
    hours: 60,
    slots: 2,
    urgency: 'normal',
    deadline: null,
    location: null,
    open_to_neighbours: false,
    occurrence: null,
    gathering: null,
    stand_ins: 0,
    status: 'open',
    created_by: 'm',
    created_at: 1000 + n,
    taken: 0,
    free: 2,
    ...over,
  };
}

const sectors: Sector[] = [
  { id: 'food', name: 'Food', essential: true, baseline: 1200, order: 0, archived: false },
  { id: 'healthcare', name: 'Healthcare', essential: true, baseline: 1200, order: 1, archived: false },
  { id: 'arts', name: 'Arts, culture & innovation', essential: false, baseline: 3000, order: 5, archived: false },
];
const guilds: Guild[] = [
  { id: 'g-garden', name: 'Community garden', sector: 'food', description: '', archived: false },
  { id: 'g-kitchen', name: 'Apple kitchen', sector: 'food', description: '', archived: false },
];

describe('the board order is the node order: most pressing first', () => {
  it('puts urgent before soon before normal, then the nearest deadline, then the oldest', () => {
    const a = task({ urgency: 'normal', created_at: 1 });
    const b = task({ urgency: 'urgent', deadline: '2026-05-01' });
    const c = task({ urgency: 'urgent', deadline: '2026-04-01' });
    const d = task({ urgency: 'urgent' });
    const e = task({ urgency: 'soon' });
    const closed = task({ urgency: 'urgent', status: 'closed' });
    expect(sortPressing([a, b, c, d, e, closed]).map((t) => t.id)).toEqual([c.id, b.id, d.id, e.id, a.id, closed.id]);
  });
  it('breaks ties by age and then by id', () => {
    const x = task({ id: 'bbbb', created_at: 5 });
    const y = task({ id: 'aaaa', created_at: 5 });
    expect(comparePressing(x, y)).toBeGreaterThan(0);
    expect(sortPressing([x, y]).map((t) => t.id)).toEqual(['aaaa', 'bbbb']);
  });
});

describe('filters', () => {
  const garden = task({ title: 'Water the seedlings', skills: ['gardening'], urgency: 'urgent', guild: 'g-garden' });
  const full = task({ title: 'Full one', taken: 2, free: 0 });
  const care = task({ title: 'Visit Rosa', sector: 'healthcare', skills: ['elder-care'], urgency: 'soon' });
  const call = task({ title: 'Harvest at Hillside', neighbour: 'Hillside', open_to_neighbours: true });
  const all = [garden, full, care, call];

  it('by default shows tasks with free places only', () => {
    expect(filterTasks(all, EMPTY_FILTER)).toEqual([garden, care, call]);
    expect(filterTasks(all, { ...EMPTY_FILTER, openSlots: false })).toHaveLength(4);
  });
  it('by sector, skill and urgency together', () => {
    expect(filterTasks(all, { ...EMPTY_FILTER, sector: 'healthcare' })).toEqual([care]);
    expect(filterTasks(all, { ...EMPTY_FILTER, skill: 'gardening' })).toEqual([garden]);
    expect(filterTasks(all, { ...EMPTY_FILTER, urgency: 'soon' as Urgency })).toEqual([care]);
    expect(filterTasks(all, { ...EMPTY_FILTER, sector: 'food', urgency: 'soon' })).toEqual([]);
  });
  it("shows neighbours' calls only when asked", () => {
    expect(filterTasks(all, { ...EMPTY_FILTER, neighbours: true })).toEqual([call]);
  });
  it('by words in any order, any case', () => {
    expect(filterTasks(all, { ...EMPTY_FILTER, text: 'SEEDLINGS water' })).toEqual([garden]);
  });
  it('counts the filters that are on', () => {
    expect(activeFilters(EMPTY_FILTER)).toBe(0);
    expect(activeFilters({ ...EMPTY_FILTER, sector: 'food', openSlots: false, text: ' x ' })).toBe(3);
  });
  it('offers the skills the tasks ask for, sorted, once each', () => {
    expect(skillsOf([garden, care, task({ skills: ['gardening', 'composting'] })])).toEqual([
      'composting',
      'elder-care',
      'gardening',
    ]);
  });
});

describe('grouping by sector and guild', () => {
  it('follows the sector order, guilds by name, tasks without a guild last', () => {
    const t1 = task({ sector: 'arts' });
    const t2 = task({ sector: 'food', guild: 'g-garden' });
    const t3 = task({ sector: 'food' });
    const t4 = task({ sector: 'food', guild: 'g-kitchen' });
    const t5 = task({ sector: 'healthcare' });
    const groups = groupBoard([t1, t2, t3, t4, t5], sectors, guilds);
    expect(groups.map((g) => g.sector)).toEqual(['food', 'healthcare', 'arts']);
    expect(groups[0].guilds.map((g) => g.name)).toEqual(['Apple kitchen', 'Community garden', null]);
    expect(groups[0].count).toBe(3);
    expect(groups[0].guilds[2].tasks).toEqual([t3]);
  });
  it('keeps a sector it does not know, after the known ones', () => {
    const groups = groupBoard([task({ sector: 'zines' }), task({ sector: 'food' })], sectors, guilds);
    expect(groups.map((g) => g.sector)).toEqual(['food', 'zines']);
    expect(groups[1].sectorInfo).toBeNull();
  });
});

describe('urgency and deadlines in words', () => {
  it('never by colour alone: each level has words and a symbol', () => {
    const looks = (['urgent', 'soon', 'normal'] as Urgency[]).map(urgencyLook);
    expect(looks.map((l) => l.label.key)).toEqual(['urgency.urgent', 'urgency.soon', 'urgency.normal']);
    expect(new Set(looks.map((l) => l.symbol)).size).toBe(3);
    expect(looks.map((l) => l.tone)).toEqual(['urgent', 'soon', 'normal']);
  });
  it('words a deadline against today', () => {
    const today = '2026-03-10';
    expect(deadlineMsg(null, today)).toBeNull();
    expect(deadlineMsg('2026-03-09', today)?.key).toBe('deadline.passed');
    expect(deadlineMsg('2026-03-10', today)?.key).toBe('deadline.today');
    expect(deadlineMsg('2026-03-11', today)?.key).toBe('deadline.tomorrow');
    expect(deadlineMsg('2026-03-15', today)).toEqual({ key: 'deadline.inDays', params: { count: 5 } });
    expect(deadlineMsg('2026-04-30', today)).toEqual({ key: 'deadline.on', params: { date: '2026-04-30' } });
  });
  it('words the places', () => {
    expect(placesMsg({ taken: 1, slots: 3, free: 2 })).toEqual({ key: 'task.placesFree', params: { count: 2, slots: 3 } });
    expect(placesMsg({ taken: 3, slots: 3, free: 0 }).key).toBe('task.placesFull');
  });
});

describe('places looking for a stand-in', () => {
  it('counted on a card, nothing when none', () => {
    expect(standInsMsg({ stand_ins: 0 })).toBeNull();
    expect(standInsMsg({ stand_ins: 2 })).toEqual({ key: 'task.standIns', params: { count: 2 } });
  });
});
