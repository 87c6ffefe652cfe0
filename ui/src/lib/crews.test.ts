import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import {
  checkCrew,
  checkCrewEdit,
  checkNote,
  checkRhythm,
  crewsToPledgeFor,
  crewToForm,
  EMPTY_CREW_FORM,
  EMPTY_RHYTHM_FORM,
  formRhythm,
  invitable,
  isNoCrewEdit,
  meetingLengthMsg,
  membersMsg,
  myCrewsByNextMeeting,
  nextMeeting,
  nextMeetingMsg,
  rhythmMsg,
  splitCrews,
  type CrewForm,
} from './crews';
import { renderMsg, translate, type MessageTree, type Msg } from './i18n';
import type { CrewInfo, MemberInfo, Rhythm } from './types';

const words = (tree: MessageTree, lang: string) => (m: Msg) => renderMsg(m, (k, p) => translate(tree, lang, k, p));
const english = words(en, 'en');
const spanish = words(es, 'es');

const TODAY = '2026-03-10'; // a Tuesday
const tuesdays: Rhythm = { repeat: { repeat: 'weekly', every: 2, weekday: 1 }, starts: '2026-03-03', time: 1170, minutes: 90, place: 'The library' };
const named = (member: string) => ({ member, name: member.toUpperCase() });

function crew(over: Partial<CrewInfo> = {}): CrewInfo {
  return {
    community: 'c1',
    id: 'k1',
    name: 'Tuesday tea',
    purpose: 'Look after each other',
    open: true,
    created_at: 0,
    rhythm: tuesdays,
    when: 'every 2 weeks on Tuesday at 19:30',
    next_meeting: '2026-03-17',
    review: null,
    review_due: false,
    ended: false,
    members: [named('ana'), named('bo')],
    waiting: [],
    invited: [],
    mine: true,
    waiting_for_place: false,
    may_join: false,
    max: 7,
    notes: [],
    tasks: [],
    ...over,
  };
}

describe('when a crew meets, in words', () => {
  it('its repeat in the words of recurring tasks, and the time', () => {
    expect(english(rhythmMsg(tuesdays))).toBe('every second Tuesday at 19:30');
    expect(spanish(rhythmMsg(tuesdays))).toBe('cada dos semanas, el martes a las 19:30');
    const lastFriday: Rhythm = { ...tuesdays, repeat: { repeat: 'monthly', nth: 5, weekday: 4 }, time: 1080 };
    expect(english(rhythmMsg(lastFriday))).toBe('on the last Friday of each month at 18:00');
  });
  it('how long, in hours or minutes', () => {
    expect(english(meetingLengthMsg(90))).toBe('1.5 h');
    expect(english(meetingLengthMsg(45))).toBe('45 minutes');
    expect(spanish(meetingLengthMsg(45))).toBe('45 minutos');
  });
  it('how many are in it, out of how many a crew can be', () => {
    expect(english(membersMsg(crew()))).toBe('2 of 7 people');
    expect(spanish(membersMsg(crew({ members: [named('ana')] })))).toBe('1 de 7 personas');
  });
});

describe('its next meeting, by the node’s rule', () => {
  it('the next day of its rhythm from today on, today included', () => {
    expect(nextMeeting(crew(), TODAY)).toBe('2026-03-17');
    expect(nextMeeting(crew(), '2026-03-17')).toBe('2026-03-17');
    expect(nextMeeting(crew(), '2026-03-18')).toBe('2026-03-31');
  });
  it('not before its first day', () => {
    expect(nextMeeting(crew({ rhythm: { ...tuesdays, starts: '2026-04-01' } }), TODAY)).toBe('2026-04-07');
  });
  it('none without a rhythm, or once it ended', () => {
    expect(nextMeeting(crew({ rhythm: null }), TODAY)).toBeNull();
    expect(nextMeeting(crew({ ended: true }), TODAY)).toBeNull();
  });
});

describe('its next meeting in words', () => {
  it('today, tomorrow or its day, with the time', () => {
    expect(english(nextMeetingMsg(crew({ next_meeting: TODAY }), TODAY))).toBe('Next meeting: today at 19:30');
    expect(english(nextMeetingMsg(crew({ next_meeting: '2026-03-11' }), TODAY))).toBe('Next meeting: tomorrow at 19:30');
    expect(english(nextMeetingMsg(crew(), TODAY))).toBe('Next meeting: 2026-03-17 at 19:30');
    expect(spanish(nextMeetingMsg(crew(), TODAY))).toBe('Próxima reunión: 2026-03-17 a las 19:30');
  });
  it('or why there is none', () => {
    expect(english(nextMeetingMsg(crew({ rhythm: null, next_meeting: null }), TODAY))).toBe('No regular meeting set yet');
    expect(english(nextMeetingMsg(crew({ ended: true, next_meeting: null }), TODAY))).toBe('This crew has ended: it meets no more');
  });
});

describe('which crews', () => {
  const list = [
    crew({ id: 'a', mine: true }),
    crew({ id: 'b', mine: true, waiting_for_place: true }),
    crew({ id: 'c', mine: false }),
    crew({ id: 'd', mine: false, ended: true }),
    crew({ id: 'e', mine: true, ended: true }),
  ];
  it('mine first (waiting for a place too), then the others meeting, then those that ended', () => {
    const s = splitCrews(list);
    expect(s.mine.map((c) => c.id)).toEqual(['a', 'b', 'e']);
    expect(s.others.map((c) => c.id)).toEqual(['c']);
    expect(s.ended.map((c) => c.id)).toEqual(['d']);
  });
  it('for the home screen: mine still meeting, the soonest meeting first', () => {
    const mine = [
      crew({ id: 'x', name: 'B', next_meeting: null }),
      crew({ id: 'y', name: 'A', next_meeting: null }),
      crew({ id: 'z', next_meeting: '2026-03-12' }),
      crew({ id: 'w', next_meeting: '2026-03-11', ended: true }),
      crew({ id: 'v', next_meeting: '2026-03-11', mine: false }),
    ];
    expect(myCrewsByNextMeeting(mine).map((c) => c.id)).toEqual(['z', 'y', 'x']);
  });
  it('a task can be taken for a crew I have a place in that still meets', () => {
    expect(crewsToPledgeFor(list).map((c) => c.id)).toEqual(['a']);
  });
  it('who can be invited: not in it, waiting or invited already, by name', () => {
    const member = (id: string, name: string) => ({ id, name }) as MemberInfo;
    const all = [member('zoe', 'Zoe'), member('ana', 'Ana'), member('cy', 'Cy'), member('di', 'Di'), member('eve', 'Eve')];
    const c = crew({ waiting: [named('cy')], invited: [named('di')] });
    expect(invitable(all, c).map((m) => m.name)).toEqual(['Eve', 'Zoe']);
  });
});

describe('the form to start a crew', () => {
  const form = (over: Partial<CrewForm> = {}, rhythm: Partial<CrewForm['rhythm']> = {}): CrewForm => ({
    ...EMPTY_CREW_FORM,
    name: ' Tuesday tea ',
    ...over,
    rhythm: { ...EMPTY_RHYTHM_FORM, ...rhythm },
  });
  it('a name is enough', () => {
    expect(checkCrew(form(), TODAY)).toEqual({
      ok: true,
      value: { name: 'Tuesday tea', purpose: '', open: true, rhythm: null, review: null },
    });
  });
  it('a rhythm: the time of day in minutes after midnight, 90 minutes unless said', () => {
    const c = checkCrew(form({}, { kind: 'weekly', every: '2', weekday: '1', time: '19:30', minutes: '', place: ' Library ' }), TODAY);
    expect(c.ok && c.value.rhythm).toEqual({
      repeat: { kind: 'weekly', every: 2, weekday: 1, nth: null },
      starts: null,
      time: 1170,
      minutes: 90,
      place: 'Library',
    });
    const m = checkRhythm({ ...EMPTY_RHYTHM_FORM, kind: 'monthly', every: 'x', nth: '5', weekday: '4', starts: '2026-04-01' });
    expect(m.ok && m.value?.repeat).toEqual({ kind: 'monthly', every: null, weekday: 4, nth: 5 });
  });
  it('words the rhythm before it is sent: the weekday left out is the first day’s', () => {
    const r = formRhythm({ ...EMPTY_RHYTHM_FORM, kind: 'weekly', time: '18:15', starts: '2026-03-12' }, TODAY);
    expect(r && english(rhythmMsg(r))).toBe('every Thursday at 18:15');
    expect(formRhythm({ ...EMPTY_RHYTHM_FORM, kind: 'weekly', time: '' }, TODAY)).toBeNull();
    expect(formRhythm(EMPTY_RHYTHM_FORM, TODAY)).toBeNull();
  });
  it('refuses in words what the node would', () => {
    const c = checkCrew(
      form({ name: ' ', purpose: 'x'.repeat(1001), review: '2026-03-09' }, { kind: 'weekly', every: '9', time: '25:00', minutes: '500' }),
      TODAY,
    );
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(Object.keys(c.errors).sort()).toEqual(['every', 'minutes', 'name', 'purpose', 'review', 'time']);
    expect(english(c.errors.minutes as Msg)).toBe('A meeting lasts from 15 to 480 minutes.');
  });
  it('a note needs words, within the limit', () => {
    expect(checkNote('  ')).not.toBeNull();
    expect(checkNote('x'.repeat(2001))).not.toBeNull();
    expect(checkNote('All well')).toBeNull();
  });
});

describe('changing a crew sends only what changed', () => {
  const c = crew({ review: '2026-03-01' });
  it('nothing changed, nothing sent (a review day gone by may stay)', () => {
    const e = checkCrewEdit(c, crewToForm(c), TODAY);
    expect(e.ok && isNoCrewEdit(e.value)).toBe(true);
  });
  it('a new time sends the whole rhythm; no rhythm clears it', () => {
    const f = crewToForm(c);
    f.rhythm.time = '18:00';
    const e = checkCrewEdit(c, f, TODAY);
    expect(e.ok && e.value.rhythm).toEqual({
      repeat: { kind: 'weekly', every: 2, weekday: 1, nth: null },
      starts: '2026-03-03',
      time: 1080,
      minutes: 90,
      place: 'The library',
    });
    f.rhythm.kind = 'none';
    const cleared = checkCrewEdit(c, f, TODAY);
    expect(cleared.ok && 'rhythm' in cleared.value && cleared.value.rhythm).toBeNull();
  });
  it('name, openness and the review day; a cleared review is sent as null', () => {
    const f = { ...crewToForm(c), name: 'Tea', open: false, review: '' };
    const e = checkCrewEdit(c, f, TODAY);
    expect(e.ok && e.value).toEqual({ name: 'Tea', purpose: null, open: false, ended: null, review: null });
    const past = checkCrewEdit(c, { ...crewToForm(c), review: '2026-03-02' }, TODAY);
    expect(past.ok).toBe(false);
  });
});
