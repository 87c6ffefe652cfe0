// Crews: a few members who meet on a rhythm. When a crew meets, in words and as its next day
// (by the node's rule); which crews are the member's; who may be invited; the forms to start
// and change a crew and to write a check-in or a review. Plain functions, tested without a DOM.

import { LIMITS } from './contract';
import { addDays, clockOf, hoursOf, isDate, parseClock } from './format';
import { msg, type Msg } from './i18n';
import { LAST, repeatDays, repeatMsg, repeatOf } from './series';
import { required, type Checked, type Errors } from './validate';
import type { CrewEditInput, CrewInfo, CrewInput, DateStr, MemberInfo, NoteKind, Rhythm, RhythmInput } from './types';

/** A meeting's length unless the crew says (the node's default). */
export const MEETING_MINUTES_DEFAULT = 90;
/** The kinds of a crew's note, in the order the form offers them. */
export const NOTE_KINDS: readonly NoteKind[] = ['check-in', 'review'];

/** "every second Tuesday at 19:30", "on the last Friday of each month at 18:00". */
export function rhythmMsg(r: Pick<Rhythm, 'repeat' | 'time'>): Msg {
  return msg('crews.rhythm', { when: repeatMsg(r.repeat), time: clockOf(r.time) });
}

/** How long a meeting lasts: "1.5 h", or "45 min" under an hour. */
export function meetingLengthMsg(minutes: number): Msg {
  return minutes < 60 ? msg('crews.lengthMinutes', { count: minutes }) : msg('crews.lengthHours', { hours: hoursOf(minutes) });
}

/**
 * The next day a crew meets from `today` on, within a year, as the node has it (its
 * `next_meeting`): none for a crew that ended or has no rhythm. Worked out here too, so a
 * reminder does not lean on an answer read yesterday.
 */
export function nextMeeting(c: Pick<CrewInfo, 'rhythm' | 'ended'>, today: DateStr): DateStr | null {
  if (c.ended || !c.rhythm) return null;
  return repeatDays(c.rhythm.repeat, c.rhythm.starts, today, addDays(today, 366))[0] ?? null;
}

/** "Next meeting: today at 19:30", "… tomorrow …", "… on 17 Mar 2026 …"; or why there is none. */
export function nextMeetingMsg(c: Pick<CrewInfo, 'rhythm' | 'ended' | 'next_meeting'>, today: DateStr): Msg {
  if (c.ended) return msg('crews.endedNote');
  if (!c.rhythm) return msg('crews.noRhythm');
  const day = c.next_meeting;
  if (!day) return msg('crews.noNext');
  const time = clockOf(c.rhythm.time);
  if (day === today) return msg('crews.nextToday', { time });
  if (day === addDays(today, 1)) return msg('crews.nextTomorrow', { time });
  return msg('crews.next', { date: day, time });
}

/** The member's crews (those they are in or wait for a place in), the others still meeting, and those that ended. */
export function splitCrews<T extends Pick<CrewInfo, 'mine' | 'ended'>>(list: readonly T[]): { mine: T[]; others: T[]; ended: T[] } {
  return {
    mine: list.filter((c) => c.mine),
    others: list.filter((c) => !c.mine && !c.ended),
    ended: list.filter((c) => !c.mine && c.ended),
  };
}

/** The member's crews still meeting, the one meeting soonest first (those with no next meeting last, by name). */
export function myCrewsByNextMeeting<T extends Pick<CrewInfo, 'mine' | 'ended' | 'next_meeting' | 'name'>>(list: readonly T[]): T[] {
  return list
    .filter((c) => c.mine && !c.ended)
    .sort(
      (a, b) =>
        (a.next_meeting ?? '9999').localeCompare(b.next_meeting ?? '9999') || a.name.localeCompare(b.name),
    );
}

/** The crews the member may take a task for: theirs, with a place in it, still meeting. */
export function crewsToPledgeFor<T extends Pick<CrewInfo, 'mine' | 'waiting_for_place' | 'ended'>>(list: readonly T[]): T[] {
  return list.filter((c) => c.mine && !c.waiting_for_place && !c.ended);
}

/** "3 of 7 people". */
export function membersMsg(c: Pick<CrewInfo, 'members' | 'max'>): Msg {
  return msg('crews.members', { count: c.members.length, max: c.max });
}

/** The community's members who could be invited: not in the crew, not waiting, not invited yet. */
export function invitable(members: readonly MemberInfo[], c: Pick<CrewInfo, 'members' | 'waiting' | 'invited'>): MemberInfo[] {
  const taken = new Set([...c.members, ...c.waiting, ...c.invited].map((n) => n.member));
  return members.filter((m) => !taken.has(m.id)).sort((a, b) => a.name.localeCompare(b.name));
}

// ---- the forms ----

/** When a crew meets, as the form holds it (strings as typed or chosen). */
export interface RhythmForm {
  kind: 'none' | 'weekly' | 'monthly';
  /** Weekly: every so many weeks. */
  every: string;
  /** '0' (Monday) … '6' (Sunday). */
  weekday: string;
  /** Monthly: '1'–'4', or '5' for the last. */
  nth: string;
  /** HH:MM. */
  time: string;
  /** Minutes. */
  minutes: string;
  place: string;
  /** '' (today) or YYYY-MM-DD. */
  starts: string;
}

export interface CrewForm {
  name: string;
  purpose: string;
  /** Anyone may join (else only those its members invite). */
  open: boolean;
  rhythm: RhythmForm;
  /** '' or YYYY-MM-DD. */
  review: string;
}

export type CrewField = 'name' | 'purpose' | 'every' | 'weekday' | 'nth' | 'time' | 'minutes' | 'place' | 'starts' | 'review';

export const EMPTY_RHYTHM_FORM: RhythmForm = {
  kind: 'none',
  every: '1',
  weekday: '',
  nth: '',
  time: '19:00',
  minutes: String(MEETING_MINUTES_DEFAULT),
  place: '',
  starts: '',
};

export const EMPTY_CREW_FORM: CrewForm = { name: '', purpose: '', open: true, rhythm: { ...EMPTY_RHYTHM_FORM }, review: '' };

function whole(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

function tooLong(text: string, max: number): Msg | null {
  const n = [...text.trim()].length;
  return n > max ? msg('errors.tooLong', { max, count: n }) : null;
}

/** A rhythm as typed: what to send, or the errors by field. `null` value: no rhythm. */
export function checkRhythm(r: RhythmForm): Checked<RhythmInput | null, CrewField> {
  if (r.kind === 'none') return { ok: true, value: null };
  const errors: Errors<CrewField> = {};
  const kind = r.kind;
  const every = kind === 'weekly' ? whole(r.every, 1, LIMITS.seriesEveryMax) : null;
  if (kind === 'weekly' && every === null) errors.every = msg('errors.seriesEvery', { max: LIMITS.seriesEveryMax });
  const weekday = r.weekday.trim() ? whole(r.weekday, 0, 6) : null;
  if (r.weekday.trim() && weekday === null) errors.weekday = msg('errors.seriesWeekday');
  const nth = kind === 'monthly' && r.nth.trim() ? whole(r.nth, 1, LAST) : null;
  if (kind === 'monthly' && r.nth.trim() && nth === null) errors.nth = msg('errors.seriesNth');
  const time = parseClock(r.time);
  if (time === null) errors.time = msg('errors.meetingTime');
  const minutes = r.minutes.trim() ? whole(r.minutes, LIMITS.meetingMinutesMin, LIMITS.meetingMinutesMax) : MEETING_MINUTES_DEFAULT;
  if (minutes === null) errors.minutes = msg('errors.meetingLength', { min: LIMITS.meetingMinutesMin, max: LIMITS.meetingMinutesMax });
  const place = tooLong(r.place, LIMITS.location);
  if (place) errors.place = place;
  if (r.starts.trim() && !isDate(r.starts)) errors.starts = msg('errors.dateFormat');
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      repeat: { kind, every, weekday, nth },
      starts: r.starts.trim() || null,
      time: time ?? 0,
      minutes,
      place: r.place.trim() || null,
    },
  };
}

/** When a crew would meet by the form (for its words before sending), or null while it holds none or an error. */
export function formRhythm(r: RhythmForm, today: DateStr): Pick<Rhythm, 'repeat' | 'time'> | null {
  const c = checkRhythm(r);
  if (!c.ok || !c.value) return null;
  return { repeat: repeatOf(c.value.repeat, c.value.starts ?? today), time: c.value.time };
}

/** A review date: '' (none) or a day from today on; `keep` (the one set before) may stay as it is. */
function checkReview(text: string, today: DateStr, keep: DateStr | null = null): Msg | null {
  const t = text.trim();
  if (!t || t === keep) return null;
  if (!isDate(t)) return msg('errors.dateFormat');
  if (t < today) return msg('errors.reviewPast');
  return null;
}

/** A new crew: a name, a purpose, whether anyone may join, and optionally when it meets and a day to review how it goes. */
export function checkCrew(f: CrewForm, today: DateStr): Checked<CrewInput, CrewField> {
  const rhythm = checkRhythm(f.rhythm);
  const errors: Errors<CrewField> = rhythm.ok ? {} : { ...rhythm.errors };
  const name = required(f.name, LIMITS.name, 'errors.crewNameEmpty');
  if (name) errors.name = name;
  const purpose = tooLong(f.purpose, LIMITS.crewPurposeMax);
  if (purpose) errors.purpose = purpose;
  const review = checkReview(f.review, today);
  if (review) errors.review = review;
  if (!rhythm.ok || Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: { name: f.name.trim(), purpose: f.purpose.trim(), open: f.open, rhythm: rhythm.value, review: f.review.trim() || null },
  };
}

/** A crew as its edit form starts. */
export function crewToForm(c: Pick<CrewInfo, 'name' | 'purpose' | 'open' | 'rhythm' | 'review'>): CrewForm {
  const r = c.rhythm;
  return {
    name: c.name,
    purpose: c.purpose,
    open: c.open,
    review: c.review ?? '',
    rhythm: r
      ? {
          kind: r.repeat.repeat,
          every: r.repeat.repeat === 'weekly' ? String(r.repeat.every) : '1',
          nth: r.repeat.repeat === 'monthly' ? String(r.repeat.nth) : '',
          weekday: String(r.repeat.weekday),
          time: clockOf(r.time),
          minutes: String(r.minutes),
          place: r.place ?? '',
          starts: r.starts,
        }
      : { ...EMPTY_RHYTHM_FORM },
  };
}

/** Whether a rhythm as sent would make the one the crew has (the start defaults to `today`). */
export function sameRhythm(input: RhythmInput, r: Rhythm, today: DateStr): boolean {
  const starts = input.starts ?? today;
  return (
    starts === r.starts &&
    JSON.stringify(repeatOf(input.repeat, starts)) === JSON.stringify(r.repeat) &&
    input.time === r.time &&
    (input.minutes ?? MEETING_MINUTES_DEFAULT) === r.minutes &&
    (input.place ?? null) === (r.place ?? null)
  );
}

/**
 * A change to a crew, with only what changed: a rhythm or review left out stays, `null`
 * clears it. Its end is another action (`ended`, sent on its own).
 */
export function checkCrewEdit(c: CrewInfo, f: CrewForm, today: DateStr): Checked<CrewEditInput, CrewField> {
  const checked = checkCrew({ ...f, review: '' }, today);
  const errors: Errors<CrewField> = checked.ok ? {} : { ...checked.errors };
  const review = checkReview(f.review, today, c.review);
  if (review) errors.review = review;
  if (!checked.ok || Object.keys(errors).length) return { ok: false, errors };
  const v = checked.value;
  const edit: CrewEditInput = {
    name: v.name === c.name ? null : v.name,
    purpose: v.purpose === c.purpose ? null : v.purpose,
    open: v.open === c.open ? null : v.open,
    ended: null,
  };
  if (v.rhythm === null) {
    if (c.rhythm) edit.rhythm = null;
  } else if (!c.rhythm || !sameRhythm(v.rhythm, c.rhythm, today)) edit.rhythm = v.rhythm;
  const reviewNow = f.review.trim() || null;
  if (reviewNow !== c.review) edit.review = reviewNow;
  return { ok: true, value: edit };
}

/** Whether a crew's edit changes nothing. */
export function isNoCrewEdit(e: CrewEditInput): boolean {
  return e.name === null && e.purpose === null && e.open === null && e.ended === null && !('rhythm' in e) && !('review' in e);
}

/** A check-in or a review: some words, within the node's limit. */
export function checkNote(text: string): Msg | null {
  return required(text, LIMITS.crewNoteMax, 'errors.crewNoteEmpty');
}
