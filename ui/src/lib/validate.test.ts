import { describe, expect, it } from 'vitest';
import {
  checkConcern,
  checkInvite,
  checkLog,
  checkName,
  checkNotice,
  checkProfile,
  checkReply,
  checkPledgeDay,
  checkSeries,
  checkSeriesEdit,
  checkTask,
  checkTaskEdit,
  EMPTY_REPEAT_FORM,
  EMPTY_TASK_FORM,
  formRepeat,
  isNoEdit,
  seriesToForm,
  LIMITS,
  parseSkills,
  taskToForm,
  type TaskForm,
} from './validate';
import type { Series, TaskDetail } from './types';

const ctx = {
  today: '2026-03-10',
  sectors: [{ id: 'food' }, { id: 'healthcare' }],
  guilds: [
    { id: 'g1', sector: 'food' },
    { id: 'g2', sector: 'healthcare' },
  ],
};
const good: TaskForm = {
  ...EMPTY_TASK_FORM,
  title: '  Water the seedlings ',
  sector: 'food',
  guild: 'g1',
  skills: 'Gardening, first aid, gardening',
  hours: '1h30',
  slots: '3',
  urgency: 'urgent',
  deadline: '2026-12-01',
};

describe('the task form', () => {
  it('turns a good form into what the node takes', () => {
    const r = checkTask(good, ctx);
    expect(r).toEqual({
      ok: true,
      value: {
        title: 'Water the seedlings',
        description: '',
        sector: 'food',
        guild: 'g1',
        guild_ref: null,
        skills: ['gardening', 'first-aid'],
        hours: 90,
        slots: 3,
        urgency: 'urgent',
        deadline: '2026-12-01',
        location: null,
        open_to_neighbours: false,
      },
    });
  });

  it('says what is wrong with each field, and gives nothing to send', () => {
    const r = checkTask(
      { ...good, title: ' ', sector: '', hours: 'lots', slots: '0', deadline: '2026-03-09', skills: 'ok, 42' },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['deadline', 'hours', 'sector', 'skills', 'slots', 'title']);
    expect(r.errors.title?.key).toBe('errors.titleEmpty');
    expect(r.errors.hours?.key).toBe('errors.hoursFormat');
    expect(r.errors.slots?.key).toBe('errors.slotsRange');
    expect(r.errors.deadline?.key).toBe('errors.deadlinePast');
    expect(r.errors.skills).toEqual({ key: 'errors.skillBad', params: { skill: '42' } });
    expect('value' in r).toBe(false);
  });

  it.each([
    ['hours', '0', 'errors.taskHoursRange'],
    ['hours', '201', 'errors.taskHoursRange'],
    ['hours', '', 'errors.hoursEmpty'],
    ['slots', '2.5', 'errors.slotsNumber'],
    ['slots', '1001', 'errors.slotsRange'],
    ['deadline', '2026-02-30', 'errors.dateFormat'],
    ['deadline', '2032-03-10', 'errors.deadlineTooFar'],
    ['guild', 'g2', 'errors.guildOtherSector'],
    ['guild', 'nope', 'errors.guildUnknown'],
    ['sector', 'zines', 'errors.sectorUnknown'],
  ] as const)('%s = %j → %s', (field, value, key) => {
    const r = checkTask({ ...good, [field]: value }, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[field]?.key).toBe(key);
  });

  it('counts characters, not bytes, against the limits', () => {
    expect(checkTask({ ...good, title: 'ñ'.repeat(120) }, ctx).ok).toBe(true);
    const r = checkTask({ ...good, title: 'ñ'.repeat(121) }, ctx);
    expect(!r.ok && r.errors.title).toEqual({ key: 'errors.tooLong', params: { max: 120, count: 121 } });
  });

  it('accepts today as a deadline and no deadline at all', () => {
    expect(checkTask({ ...good, deadline: '2026-03-10' }, ctx).ok).toBe(true);
    const r = checkTask({ ...good, deadline: '' }, ctx);
    expect(r.ok && r.value.deadline).toBeNull();
  });
});

describe('editing a task sends only what changed', () => {
  const original: TaskDetail = {
    id: 't1',
    title: 'Water the seedlings',
    description: '',
    sector: 'food',
    guild: 'g1',
    skills: ['gardening'],
    hours: 90,
    slots: 3,
    urgency: 'soon',
    deadline: '2026-03-01',
    location: 'Plot 4',
    open_to_neighbours: false,
    occurrence: null,
    gathering: null,
    gathering_title: null,
    stand_ins: 0,
    status: 'open',
    created_by: 'm',
    created_at: 1,
    taken: 1,
    free: 2,
    community: 'c',
    guild_name: 'Garden',
    sector_name: 'Food',
    created_by_name: 'Ana',
    pledges: [],
    my_pledge: null,
    hours_logged: 0,
    open_flags: 0,
  };

  it('an unchanged form is an empty edit, even with a past deadline kept', () => {
    expect(checkTaskEdit(original, taskToForm(original), ctx)).toEqual({ ok: true, value: {} });
  });
  it('changed fields only', () => {
    const f = { ...taskToForm(original), slots: '4', urgency: 'urgent' as const, location: '', skills: 'gardening, composting' };
    expect(checkTaskEdit(original, f, ctx)).toEqual({
      ok: true,
      value: { slots: 4, urgency: 'urgent', location: '', skills: ['gardening', 'composting'] },
    });
  });
  it('a new deadline must not be in the past', () => {
    const r = checkTaskEdit(original, { ...taskToForm(original), deadline: '2026-03-05' }, ctx);
    expect(!r.ok && r.errors.deadline?.key).toBe('errors.deadlinePast');
  });
  it('refuses in words what the node cannot do: clearing a deadline or a guild', () => {
    const r = checkTaskEdit(original, { ...taskToForm(original), deadline: '', guild: '' }, ctx);
    expect(!r.ok && r.errors.deadline?.key).toBe('errors.deadlineCannotClear');
    expect(!r.ok && r.errors.guild?.key).toBe('errors.guildCannotClear');
  });
});

describe('logging hours', () => {
  const today = '2026-03-10';
  it('for a sector, today by default', () => {
    expect(checkLog({ task: '', sector: 'food', hours: '2', date: '', note: ' weeding ' }, today)).toEqual({
      ok: true,
      value: { task: null, sector: 'food', minutes: 120, date: today, note: 'weeding' },
    });
  });
  it('for a task, the sector comes from the task', () => {
    const r = checkLog({ task: 't1', sector: 'food', hours: '1.5', date: '2026-03-09', note: '' }, today);
    expect(r.ok && r.value).toEqual({ task: 't1', sector: null, minutes: 90, date: '2026-03-09', note: '' });
  });
  it.each([
    [{ sector: '' }, 'sector', 'errors.logWhere'],
    [{ hours: '25' }, 'hours', 'errors.entryHoursRange'],
    [{ hours: '0' }, 'hours', 'errors.entryHoursRange'],
    [{ hours: 'x' }, 'hours', 'errors.hoursFormat'],
    [{ date: '2026-03-12' }, 'date', 'errors.dateFuture'],
    [{ date: '2025-02-01' }, 'date', 'errors.dateTooOld'],
    [{ note: 'x'.repeat(1001) }, 'note', 'errors.tooLong'],
  ] as const)('%j → %s: %s', (over, field, key) => {
    const r = checkLog({ task: '', sector: 'food', hours: '2', date: today, note: '', ...over }, today);
    expect(!r.ok && r.errors[field]?.key).toBe(key);
  });
  it('allows tomorrow (time zones), as the node does', () => {
    expect(checkLog({ task: '', sector: 'food', hours: '1', date: '2026-03-11', note: '' }, today).ok).toBe(true);
  });
});

describe('names, invitations, concerns', () => {
  it('a name is needed, at most 80 characters', () => {
    expect(checkName('  ')?.key).toBe('errors.nameEmpty');
    expect(checkName('Ana')).toBeNull();
    expect(checkName('a'.repeat(81))?.key).toBe('errors.tooLong');
  });
  const code = 'abcdef-ghijkl-mnopqr-stuvwx-yz2345-67abcd-efghij-klmnop';
  it('an invitation is a 48-letter code or a weft:// link', () => {
    expect(checkInvite(code)).toBeNull();
    expect(checkInvite(code.toUpperCase().replace(/-/g, ' '))).toBeNull();
    expect(checkInvite(`weft://join/${code.replace(/-/g, '')}?c=abc&a=/ip4/1.2.3.4/tcp/1`)).toBeNull();
    expect(checkInvite('')?.key).toBe('errors.inviteEmpty');
    expect(checkInvite('abc')).toEqual({ key: 'errors.inviteLength', params: { count: 3 } });
    expect(checkInvite(code.replace('a', '1'))?.key).toBe('errors.inviteAlphabet');
    expect(checkInvite('weft://other/x')?.key).toBe('errors.inviteLink');
  });
  it('a concern says something', () => {
    expect(checkConcern(' ')?.key).toBe('errors.concernEmpty');
    expect(checkConcern('The ladder is broken')).toBeNull();
  });
  it('skills are typed separated by commas', () => {
    expect(parseSkills('Knitting; sign language,\nknitting')).toEqual({ skills: ['knitting', 'sign-language'] });
    expect(parseSkills('ok, ???')).toEqual({ bad: '???' });
  });
});

describe('the profile', () => {
  it('sets chosen skills, removes those no longer chosen, and clamps interests', () => {
    const r = checkProfile(
      {
        name: ' Ana ',
        skills: { gardening: 4, cooking: 0 },
        typedSkills: 'Knitting',
        interests: { food: 5, arts: 9 },
        hoursPerWeek: '3.5',
        travel: true,
        learn: ['beekeeping'],
        typedLearn: '',
      },
      { skills: { gardening: 2, plumbing: 3 }, wants_to_learn: ['welding'] },
    );
    expect(r).toEqual({
      ok: true,
      value: {
        name: 'Ana',
        skills: { gardening: 4, knitting: 3, plumbing: null },
        interests: { food: 5, arts: 5 },
        hours_per_week: 210,
        willing_to_travel: true,
        wants_to_learn: { beekeeping: true, welding: false },
      },
    });
  });
  it('refuses more hours than a week holds', () => {
    const r = checkProfile(
      { name: 'Ana', skills: {}, typedSkills: '', interests: {}, hoursPerWeek: '169', travel: false, learn: [], typedLearn: '' },
      null,
    );
    expect(!r.ok && r.errors.hoursPerWeek?.key).toBe('errors.weekHoursRange');
  });
});

describe('offers, needs and their answers', () => {
  it('need a title, within the limits a task has', () => {
    const empty = checkNotice({ title: '  ', description: '' });
    expect(!empty.ok && empty.errors.title?.key).toBe('errors.noticeTitleEmpty');
    const long = checkNotice({ title: 'x', description: 'y'.repeat(LIMITS.description + 1) });
    expect(!long.ok && long.errors.description?.key).toBe('errors.tooLong');
    expect(checkNotice({ title: ' Spare seedlings ', description: ' tomatoes ' })).toEqual({
      ok: true,
      value: { title: 'Spare seedlings', description: 'tomatoes' },
    });
  });
  it('an answer says something, at most a note long', () => {
    expect(checkReply(' ')?.key).toBe('errors.replyEmpty');
    expect(checkReply('y'.repeat(LIMITS.note + 1))?.key).toBe('errors.tooLong');
    expect(checkReply('We can bring a van on Saturday')).toBeNull();
  });
});

describe('a task that repeats', () => {
  const weekly = { ...EMPTY_REPEAT_FORM, kind: 'weekly' as const, every: '2', weekday: '3' };

  it('is sent as a series: the task without deadline or neighbours, and when it comes round', () => {
    const r = checkSeries({ ...good, openToNeighbours: true }, { ...weekly, until: '2026-06-30' }, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.task.deadline).toBeNull();
    expect(r.value.task.open_to_neighbours).toBe(false);
    expect(r.value.task.title).toBe('Water the seedlings');
    expect(r.value).toMatchObject({
      repeat: { kind: 'weekly', every: 2, weekday: 3, nth: null },
      starts: null,
      until: '2026-06-30',
      ahead_days: LIMITS.seriesAheadDaysDefault,
    });
  });
  it('monthly: which one of the month and the weekday, no weeks', () => {
    const r = checkSeries(good, { ...EMPTY_REPEAT_FORM, kind: 'monthly', nth: '5', weekday: '4', every: 'x' }, ctx);
    expect(r.ok && r.value.repeat).toEqual({ kind: 'monthly', every: null, weekday: 4, nth: 5 });
  });
  it('a past deadline left in the form does not stop it (its days are its deadlines)', () => {
    expect(checkSeries({ ...good, deadline: '2020-01-01' }, weekly, ctx).ok).toBe(true);
  });
  it('refuses what the node refuses, field by field, with the task’s own errors', () => {
    const r = checkSeries(
      { ...good, title: '' },
      { ...weekly, every: String(LIMITS.seriesEveryMax + 1), starts: '2026-03-09', until: 'soon', aheadDays: '3' },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.title?.key).toBe('errors.titleEmpty');
    expect(r.errors.every?.key).toBe('errors.seriesEvery');
    expect(r.errors.starts?.key).toBe('errors.seriesStartsPast');
    expect(r.errors.until?.key).toBe('errors.dateFormat');
    expect(r.errors.aheadDays?.key).toBe('errors.seriesAhead');
  });
  it('starts within the years a deadline may be set', () => {
    const r = checkSeries(good, { ...weekly, starts: '2031-06-01' }, ctx);
    expect(!r.ok && r.errors.starts?.key).toBe('errors.seriesStartsTooFar');
  });
  it('ends on or after it starts (today when no first day is given)', () => {
    const before = checkSeries(good, { ...weekly, starts: '2026-04-01', until: '2026-03-31' }, ctx);
    expect(!before.ok && before.errors.until?.key).toBe('errors.seriesEndsBeforeStart');
    const past = checkSeries(good, { ...weekly, until: '2026-03-09' }, ctx);
    expect(!past.ok && past.errors.until?.key).toBe('errors.seriesEndsBeforeStart');
    expect(checkSeries(good, { ...weekly, starts: '2026-04-01', until: '2026-04-01' }, ctx).ok).toBe(true);
  });
  it('a weekday or which one of the month out of range is refused', () => {
    const r = checkSeries(good, { ...EMPTY_REPEAT_FORM, kind: 'monthly', weekday: '7', nth: '6' }, ctx);
    expect(!r.ok && [r.errors.weekday?.key, r.errors.nth?.key]).toEqual(['errors.seriesWeekday', 'errors.seriesNth']);
  });
  it('the form’s repeat, for its words before sending', () => {
    expect(formRepeat(EMPTY_REPEAT_FORM, ctx.today)).toBeNull();
    expect(formRepeat(weekly, ctx.today)).toEqual({ starts: ctx.today, repeat: { repeat: 'weekly', every: 2, weekday: 3 } });
    expect(formRepeat({ ...weekly, weekday: '', starts: '2026-03-17' }, ctx.today)?.repeat).toEqual({ repeat: 'weekly', every: 2, weekday: 1 });
    expect(formRepeat({ ...weekly, every: '0' }, ctx.today)).toBeNull();
  });
});

describe('editing a series', () => {
  const series: Series = {
    id: 's1',
    title: 'Soup kitchen',
    description: 'Cook for thirty',
    sector: 'food',
    guild: null,
    skills: ['cooking'],
    hours: 180,
    slots: 3,
    urgency: 'normal',
    location: 'Hall',
    repeat: { repeat: 'weekly', every: 1, weekday: 1 },
    starts: '2026-03-10',
    until: null,
    ahead_days: 28,
    skipped: [],
    created_by: 'm',
    created_at: 0,
  };

  it('sends only what changed', () => {
    const same = checkSeriesEdit(series, seriesToForm(series));
    expect(same.ok && isNoEdit(same.value)).toBe(true);
    const r = checkSeriesEdit(series, { ...seriesToForm(series), title: ' Soup night ', hours: '2.5', until: '2026-12-22' });
    expect(r).toEqual({
      ok: true,
      value: { title: 'Soup night', description: null, hours: 150, slots: null, urgency: null, location: null, until: '2026-12-22' },
    });
  });
  it('an emptied place clears it', () => {
    const r = checkSeriesEdit(series, { ...seriesToForm(series), location: ' ' });
    expect(r.ok && r.value.location).toBe('');
  });
  it('an end can move but not go, and not before the start', () => {
    const ending = { ...series, until: '2026-06-30' };
    const cleared = checkSeriesEdit(ending, { ...seriesToForm(ending), until: '' });
    expect(!cleared.ok && cleared.errors.until?.key).toBe('errors.seriesEndCannotClear');
    const early = checkSeriesEdit(series, { ...seriesToForm(series), until: '2026-03-01' });
    expect(!early.ok && early.errors.until?.key).toBe('errors.seriesEndsBeforeStart');
  });
  it('checks the fields as a task’s', () => {
    const r = checkSeriesEdit(series, { ...seriesToForm(series), title: '', hours: 'lots', slots: '0' });
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(['hours', 'slots', 'title']);
  });
});

describe('the day of a pledge', () => {
  it('any day, or a day from today on', () => {
    expect(checkPledgeDay('', '2026-03-10')).toBeNull();
    expect(checkPledgeDay('2026-03-10', '2026-03-10')).toBeNull();
    expect(checkPledgeDay('2026-03-09', '2026-03-10')?.key).toBe('errors.pledgeDayPast');
    expect(checkPledgeDay('2026-02-30', '2026-03-10')?.key).toBe('errors.dateFormat');
  });
});
