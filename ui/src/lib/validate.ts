// Form validation: the same limits the node enforces, checked before anything is sent, with
// a message per field. A form with any error sends nothing.

import { LIMITS } from './contract';
import { msg, type Msg } from './i18n';
import { daysBetween, isDate, parseHours, slugify } from './format';
import { repeatOf } from './series';
import type { DateStr, ProfileUpdate, Repeat, SectorId, Series, SeriesEdit, SeriesInput, TaskDetail, TaskEdit, TaskInput, Urgency } from './types';

export type Errors<F extends string> = Partial<Record<F, Msg>>;
export type Checked<T, F extends string> = { ok: true; value: T } | { ok: false; errors: Errors<F> };

/** The limits the node enforces (generated from weft-core's validation). */
export { LIMITS };

function len(s: string): number {
  return [...s.trim()].length;
}

function done<T, F extends string>(errors: Errors<F>, value: () => T): Checked<T, F> {
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: value() };
}

/** A required short text: a name, a title. */
export function required(value: string, max: number, emptyKey: string): Msg | null {
  if (!value.trim()) return msg(emptyKey);
  if (len(value) > max) return msg('errors.tooLong', { max, count: len(value) });
  return null;
}

function optional(value: string, max: number): Msg | null {
  if (len(value) > max) return msg('errors.tooLong', { max, count: len(value) });
  return null;
}

/** Skills typed as "gardening, First aid": slugs, or an error naming the first bad one. */
export function parseSkills(text: string): { skills: string[] } | { bad: string } {
  const out: string[] = [];
  for (const part of text.split(/[,;\n]/)) {
    if (!part.trim()) continue;
    const slug = slugify(part);
    if (!slug) return { bad: part.trim() };
    if (!out.includes(slug)) out.push(slug);
  }
  return { skills: out };
}

// ---- identity and community ----

export function checkName(name: string): Msg | null {
  return required(name, LIMITS.name, 'errors.nameEmpty');
}

export function checkCommunityName(name: string): Msg | null {
  return required(name, LIMITS.name, 'errors.communityNameEmpty');
}

/** What is wrong with a code, in words for what the code is for. */
interface CodeWords {
  empty: string;
  link: string;
  alphabet: string;
  length: string;
}

/** A code of 48 letters (dashes and spaces allowed) or its `weft://join/` link. */
function checkCode(text: string, words: CodeWords): Msg | null {
  const t = text.trim();
  if (!t) return msg(words.empty);
  if (/^weft:\/\//i.test(t)) {
    if (!/^weft:\/\/join\/[A-Za-z2-7-]+(\?.*)?$/.test(t)) return msg(words.link);
    const code = t.slice('weft://join/'.length).split('?')[0].replace(/-/g, '');
    return code.length === 48 ? null : msg(words.length, { count: code.length });
  }
  const compact = t.replace(/[-\s]/g, '');
  if (!/^[A-Za-z2-7]*$/.test(compact)) return msg(words.alphabet);
  if (compact.length !== 48) return msg(words.length, { count: compact.length });
  return null;
}

/** An invitation: a 48-letter code (dashes and spaces allowed) or a `weft://join/` link. */
export function checkInvite(text: string): Msg | null {
  return checkCode(text, {
    empty: 'errors.inviteEmpty',
    link: 'errors.inviteLink',
    alphabet: 'errors.inviteAlphabet',
    length: 'errors.inviteLength',
  });
}

/** A pairing code from the member's other computer (the same form as an invitation's). */
export function checkPairingCode(text: string): Msg | null {
  return checkCode(text, {
    empty: 'errors.pairingEmpty',
    link: 'errors.pairingLink',
    alphabet: 'errors.pairingAlphabet',
    length: 'errors.pairingLength',
  });
}

/** A name for one of the member's computers. */
export function checkDeviceLabel(label: string): Msg | null {
  return required(label, LIMITS.name, 'errors.deviceLabelEmpty');
}

// ---- tasks ----

export interface TaskForm {
  title: string;
  description: string;
  sector: SectorId;
  /** A guild id, or '' for none. */
  guild: string;
  /** Comma-separated skills. */
  skills: string;
  /** Hours per person as typed: "2", "1.5", "1h30". */
  hours: string;
  slots: string;
  urgency: Urgency;
  /** '' or YYYY-MM-DD. */
  deadline: string;
  location: string;
  openToNeighbours: boolean;
}

export type TaskField = 'title' | 'description' | 'sector' | 'guild' | 'skills' | 'hours' | 'slots' | 'deadline' | 'location';

export const EMPTY_TASK_FORM: TaskForm = {
  title: '',
  description: '',
  sector: '',
  guild: '',
  skills: '',
  hours: '',
  slots: '1',
  urgency: 'normal',
  deadline: '',
  location: '',
  openToNeighbours: false,
};

export interface Context {
  today: DateStr;
  sectors: { id: SectorId }[];
  guilds: { id: string; sector: SectorId }[];
}

function checkHoursPerPerson(text: string): { minutes: number } | { error: Msg } {
  if (!text.trim()) return { error: msg('errors.hoursEmpty') };
  const minutes = parseHours(text);
  if (minutes === null) return { error: msg('errors.hoursFormat') };
  if (minutes <= 0 || minutes > LIMITS.taskMinutesMax) return { error: msg('errors.taskHoursRange') };
  return { minutes };
}

function checkSlots(text: string): { slots: number } | { error: Msg } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: msg('errors.slotsNumber') };
  const n = Number(t);
  if (n < 1 || n > LIMITS.slotsMax) return { error: msg('errors.slotsRange') };
  return { slots: n };
}

function checkDeadline(text: string, today: DateStr): Msg | null {
  if (!text.trim()) return null;
  if (!isDate(text)) return msg('errors.dateFormat');
  const d = daysBetween(today, text.trim());
  if (d < 0) return msg('errors.deadlinePast');
  if (d > LIMITS.deadlineMaxDays) return msg('errors.deadlineTooFar');
  return null;
}

export function checkTask(f: TaskForm, ctx: Context): Checked<TaskInput, TaskField> {
  const errors: Errors<TaskField> = {};
  const title = required(f.title, LIMITS.title, 'errors.titleEmpty');
  if (title) errors.title = title;
  const description = optional(f.description, LIMITS.description);
  if (description) errors.description = description;
  if (!f.sector) errors.sector = msg('errors.sectorEmpty');
  else if (!ctx.sectors.some((s) => s.id === f.sector)) errors.sector = msg('errors.sectorUnknown');
  if (f.guild) {
    const g = ctx.guilds.find((x) => x.id === f.guild);
    if (!g) errors.guild = msg('errors.guildUnknown');
    else if (f.sector && g.sector !== f.sector) errors.guild = msg('errors.guildOtherSector');
  }
  const skills = parseSkills(f.skills);
  if ('bad' in skills) errors.skills = msg('errors.skillBad', { skill: skills.bad });
  const hours = checkHoursPerPerson(f.hours);
  if ('error' in hours) errors.hours = hours.error;
  const slots = checkSlots(f.slots);
  if ('error' in slots) errors.slots = slots.error;
  const deadline = checkDeadline(f.deadline, ctx.today);
  if (deadline) errors.deadline = deadline;
  const location = optional(f.location, LIMITS.location);
  if (location) errors.location = location;
  return done(errors, () => ({
    title: f.title.trim(),
    description: f.description.trim(),
    sector: f.sector,
    guild: f.guild || null,
    guild_ref: null,
    skills: 'skills' in skills ? skills.skills : [],
    hours: 'minutes' in hours ? hours.minutes : 0,
    slots: 'slots' in slots ? slots.slots : 1,
    urgency: f.urgency,
    deadline: f.deadline.trim() || null,
    location: f.location.trim() || null,
    open_to_neighbours: f.openToNeighbours,
  }));
}

/** The form for editing an existing task. */
export function taskToForm(t: TaskDetail): TaskForm {
  return {
    title: t.title,
    description: t.description,
    sector: t.sector,
    guild: t.guild ?? '',
    skills: t.skills.join(', '),
    hours: String(Math.round((t.hours / 60) * 100) / 100),
    slots: String(t.slots),
    urgency: t.urgency,
    deadline: t.deadline ?? '',
    location: t.location ?? '',
    openToNeighbours: t.open_to_neighbours,
  };
}

/**
 * Checks an edit and keeps only what changed. A deadline cannot be removed once set (the
 * node reads a cleared deadline as "no change"), so clearing one is refused in words.
 */
export function checkTaskEdit(original: TaskDetail, f: TaskForm, ctx: Context): Checked<TaskEdit, TaskField> {
  // An existing deadline that has passed may stay as it is.
  const keepsPastDeadline = f.deadline.trim() === (original.deadline ?? '');
  const checked = checkTask(keepsPastDeadline ? { ...f, deadline: '' } : f, ctx);
  if (!checked.ok) return checked;
  const v = { ...checked.value, deadline: f.deadline.trim() || null };
  const errors: Errors<TaskField> = {};
  if (original.deadline && !v.deadline) errors.deadline = msg('errors.deadlineCannotClear');
  if (original.guild && !v.guild) errors.guild = msg('errors.guildCannotClear');
  if (Object.keys(errors).length) return { ok: false, errors };
  const edit: TaskEdit = {};
  if (v.title !== original.title) edit.title = v.title;
  if (v.description !== original.description) edit.description = v.description;
  if (v.sector !== original.sector) edit.sector = v.sector;
  if (v.guild && v.guild !== original.guild) edit.guild = v.guild;
  const sameSkills = v.skills.length === original.skills.length && v.skills.every((s) => original.skills.includes(s));
  if (!sameSkills) edit.skills = v.skills;
  if (v.hours !== original.hours) edit.hours = v.hours;
  if (v.slots !== original.slots) edit.slots = v.slots;
  if (v.urgency !== original.urgency) edit.urgency = v.urgency;
  if (v.deadline && v.deadline !== original.deadline) edit.deadline = v.deadline;
  if ((v.location ?? '') !== (original.location ?? '')) edit.location = v.location ?? '';
  if (v.open_to_neighbours !== original.open_to_neighbours) edit.open_to_neighbours = v.open_to_neighbours;
  return { ok: true, value: edit };
}

// ---- recurring tasks ----

/** How a new task repeats, as the form holds it (strings as typed or chosen). */
export interface RepeatForm {
  kind: 'none' | 'weekly' | 'monthly';
  /** Weekly: every so many weeks. */
  every: string;
  /** '0' (Monday) … '6' (Sunday). */
  weekday: string;
  /** Monthly: '1'–'4', or '5' for the last. */
  nth: string;
  /** '' (today) or YYYY-MM-DD. */
  starts: string;
  /** '' (no end) or YYYY-MM-DD. */
  until: string;
  /** How many days ahead each day's task is posted. */
  aheadDays: string;
}

export type RepeatField = 'every' | 'weekday' | 'nth' | 'starts' | 'until' | 'aheadDays';

export const EMPTY_REPEAT_FORM: RepeatForm = {
  kind: 'none',
  every: '1',
  weekday: '',
  nth: '',
  starts: '',
  until: '',
  aheadDays: String(LIMITS.seriesAheadDaysDefault),
};

function wholeIn(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

/** An optional day of a series: '' or a date from `earliest` on. */
function checkSeriesDay(text: string, earliest: DateStr, tooEarly: Msg): Msg | null {
  const t = text.trim();
  if (!t) return null;
  if (!isDate(t)) return msg('errors.dateFormat');
  if (t < earliest) return tooEarly;
  return null;
}

/**
 * A task that repeats: the task's fields as for one task (its deadline left out: each day's
 * task has its own day as deadline, and a series is not opened to neighbours), and when it
 * comes round, from when, until when and how far ahead.
 */
export function checkSeries(task: TaskForm, r: RepeatForm, ctx: Context): Checked<SeriesInput, TaskField | RepeatField> {
  const checked = checkTask({ ...task, deadline: '', openToNeighbours: false }, ctx);
  const errors: Errors<TaskField | RepeatField> = checked.ok ? {} : { ...checked.errors };
  const kind = r.kind === 'monthly' ? 'monthly' : 'weekly';
  const every = kind === 'weekly' ? wholeIn(r.every, 1, LIMITS.seriesEveryMax) : 1;
  if (every === null) errors.every = msg('errors.seriesEvery', { max: LIMITS.seriesEveryMax });
  const weekday = r.weekday.trim() ? wholeIn(r.weekday, 0, 6) : null;
  if (r.weekday.trim() && weekday === null) errors.weekday = msg('errors.seriesWeekday');
  const nth = kind === 'monthly' && r.nth.trim() ? wholeIn(r.nth, 1, 5) : null;
  if (kind === 'monthly' && r.nth.trim() && nth === null) errors.nth = msg('errors.seriesNth');
  // The first day is checked as a task's deadline (the node does: it is the first one's).
  const starts =
    checkSeriesDay(r.starts, ctx.today, msg('errors.seriesStartsPast')) ??
    (r.starts.trim() && daysBetween(ctx.today, r.starts.trim()) > LIMITS.deadlineMaxDays ? msg('errors.seriesStartsTooFar') : null);
  if (starts) errors.starts = starts;
  const first = !starts && r.starts.trim() ? r.starts.trim() : ctx.today;
  const until = checkSeriesDay(r.until, first, msg('errors.seriesEndsBeforeStart'));
  if (until) errors.until = until;
  const ahead = wholeIn(r.aheadDays, LIMITS.seriesAheadDaysMin, LIMITS.seriesAheadDaysMax);
  if (ahead === null)
    errors.aheadDays = msg('errors.seriesAhead', { min: LIMITS.seriesAheadDaysMin, max: LIMITS.seriesAheadDaysMax });
  if (!checked.ok || Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      task: checked.value,
      repeat: { kind, every: kind === 'weekly' ? every : null, weekday, nth: kind === 'monthly' ? nth : null },
      starts: r.starts.trim() || null,
      until: r.until.trim() || null,
      ahead_days: ahead,
    },
  };
}

/** The repeat a valid form stands for (for its words and first days before sending), or null. */
export function formRepeat(r: RepeatForm, today: DateStr): { starts: DateStr; repeat: Repeat } | null {
  if (r.kind === 'none') return null;
  const every = wholeIn(r.every, 1, LIMITS.seriesEveryMax);
  const weekday = r.weekday.trim() ? wholeIn(r.weekday, 0, 6) : null;
  const nth = r.nth.trim() ? wholeIn(r.nth, 1, 5) : null;
  const starts = r.starts.trim() && isDate(r.starts) && r.starts.trim() >= today ? r.starts.trim() : today;
  if (r.kind === 'weekly' && every === null) return null;
  return { starts, repeat: repeatOf({ kind: r.kind, every, weekday, nth }, starts) };
}

/** What a series' edit form holds. */
export interface SeriesEditForm {
  title: string;
  description: string;
  hours: string;
  slots: string;
  urgency: Urgency;
  location: string;
  until: string;
}

export type SeriesEditField = 'title' | 'description' | 'hours' | 'slots' | 'location' | 'until';

export function seriesToForm(s: Series): SeriesEditForm {
  return {
    title: s.title,
    description: s.description,
    hours: String(Math.round((s.hours / 60) * 100) / 100),
    slots: String(s.slots),
    urgency: s.urgency,
    location: s.location ?? '',
    until: s.until ?? '',
  };
}

/**
 * Checks an edit of a series and keeps only what changed (`null`: unchanged). An end, once
 * set, can be moved but not removed (the node reads a cleared end as "no change").
 */
export function checkSeriesEdit(s: Series, f: SeriesEditForm): Checked<SeriesEdit, SeriesEditField> {
  const errors: Errors<SeriesEditField> = {};
  const title = required(f.title, LIMITS.title, 'errors.titleEmpty');
  if (title) errors.title = title;
  const description = optional(f.description, LIMITS.description);
  if (description) errors.description = description;
  const hours = checkHoursPerPerson(f.hours);
  if ('error' in hours) errors.hours = hours.error;
  const slots = checkSlots(f.slots);
  if ('error' in slots) errors.slots = slots.error;
  const location = optional(f.location, LIMITS.location);
  if (location) errors.location = location;
  const until = f.until.trim();
  if (!until && s.until) errors.until = msg('errors.seriesEndCannotClear');
  else if (until) {
    const e = checkSeriesDay(until, s.starts, msg('errors.seriesEndsBeforeStart'));
    if (e) errors.until = e;
  }
  return done(errors, () => {
    const changed = <T>(now: T, before: T): T | null => (now === before ? null : now);
    return {
      title: changed(f.title.trim(), s.title),
      description: changed(f.description.trim(), s.description),
      hours: 'minutes' in hours ? changed(hours.minutes, s.hours) : null,
      slots: 'slots' in slots ? changed(slots.slots, s.slots) : null,
      urgency: changed(f.urgency, s.urgency),
      // '' clears the place.
      location: f.location.trim() === (s.location ?? '') ? null : f.location.trim(),
      until: until && until !== s.until ? until : null,
    };
  });
}

/** Whether an edit changes nothing. */
export function isNoEdit(e: SeriesEdit): boolean {
  return Object.values(e).every((v) => v === null);
}

/** A pledge's day: '' (any day) or a date from today on. */
export function checkPledgeDay(text: string, today: DateStr): Msg | null {
  const t = text.trim();
  if (!t) return null;
  if (!isDate(t)) return msg('errors.dateFormat');
  if (t < today) return msg('errors.pledgeDayPast');
  return null;
}

// ---- hours ----

export interface LogForm {
  /** A task id, or '' to log for a sector. */
  task: string;
  sector: SectorId;
  hours: string;
  date: string;
  note: string;
}

export type LogField = 'task' | 'sector' | 'hours' | 'date' | 'note';

export interface CheckedLog {
  task: string | null;
  sector: SectorId | null;
  minutes: number;
  date: DateStr;
  note: string;
}

export function checkLog(f: LogForm, today: DateStr): Checked<CheckedLog, LogField> {
  const errors: Errors<LogField> = {};
  if (!f.task && !f.sector) errors.sector = msg('errors.logWhere');
  let minutes = 0;
  if (!f.hours.trim()) errors.hours = msg('errors.hoursEmpty');
  else {
    const m = parseHours(f.hours);
    if (m === null) errors.hours = msg('errors.hoursFormat');
    else if (m <= 0 || m > LIMITS.entryMinutesMax) errors.hours = msg('errors.entryHoursRange');
    else minutes = m;
  }
  const date = f.date.trim() || today;
  if (!isDate(date)) errors.date = msg('errors.dateFormat');
  else {
    const d = daysBetween(today, date);
    if (d > LIMITS.entryDaysAhead) errors.date = msg('errors.dateFuture');
    else if (-d > LIMITS.entryMaxAgeDays) errors.date = msg('errors.dateTooOld', { count: LIMITS.entryMaxAgeDays });
  }
  const note = optional(f.note, LIMITS.note);
  if (note) errors.note = note;
  return done(errors, () => ({
    task: f.task || null,
    sector: f.task ? null : f.sector,
    minutes,
    date,
    note: f.note.trim(),
  }));
}

// ---- concerns ----

export function checkConcern(note: string): Msg | null {
  return required(note, LIMITS.concern, 'errors.concernEmpty');
}

// ---- profile ----

export interface ProfileForm {
  name: string;
  /** Skill slug → level 1–5 (0 or absent: not offered). */
  skills: Record<string, number>;
  /** Extra skills typed: "knitting, sign language" (level 3 unless set in `skills`). */
  typedSkills: string;
  interests: Record<SectorId, number>;
  hoursPerWeek: string;
  travel: boolean;
  /** Catalogue skills to learn, plus typed ones. */
  learn: string[];
  typedLearn: string;
}

export type ProfileField = 'name' | 'typedSkills' | 'hoursPerWeek' | 'typedLearn';

/**
 * The profile update to send: every field of the form, with skills and things to learn that
 * were in the old profile but are no longer chosen removed.
 */
export function checkProfile(
  f: ProfileForm,
  previous: { skills: Record<string, number>; wants_to_learn: string[] } | null,
): Checked<ProfileUpdate, ProfileField> {
  const errors: Errors<ProfileField> = {};
  const name = checkName(f.name);
  if (name) errors.name = name;
  const typed = parseSkills(f.typedSkills);
  if ('bad' in typed) errors.typedSkills = msg('errors.skillBad', { skill: typed.bad });
  const typedLearn = parseSkills(f.typedLearn);
  if ('bad' in typedLearn) errors.typedLearn = msg('errors.skillBad', { skill: typedLearn.bad });
  let minutes = 0;
  const h = f.hoursPerWeek.trim();
  if (h) {
    const m = parseHours(h);
    if (m === null) errors.hoursPerWeek = msg('errors.hoursFormat');
    else if (m > LIMITS.weekMinutesMax) errors.hoursPerWeek = msg('errors.weekHoursRange');
    else minutes = m;
  }
  return done(errors, () => {
    const skills: Record<string, number | null> = {};
    for (const [s, level] of Object.entries(f.skills)) if (level >= 1 && level <= 5) skills[s] = Math.round(level);
    if ('skills' in typed) for (const s of typed.skills) if (!(s in skills)) skills[s] = 3;
    for (const s of Object.keys(previous?.skills ?? {})) if (!(s in skills)) skills[s] = null;
    const learn: Record<string, boolean> = {};
    for (const s of f.learn) learn[s] = true;
    if ('skills' in typedLearn) for (const s of typedLearn.skills) learn[s] = true;
    for (const s of previous?.wants_to_learn ?? []) if (!(s in learn)) learn[s] = false;
    const interests: Record<string, number> = {};
    for (const [s, v] of Object.entries(f.interests)) interests[s] = Math.max(0, Math.min(5, Math.round(v)));
    return {
      name: f.name.trim(),
      skills,
      interests,
      hours_per_week: minutes,
      willing_to_travel: f.travel,
      wants_to_learn: learn,
    };
  });
}

// ---- offers and needs ----

export type NoticeField = 'title' | 'description';

/** An offer or a need: a title (required) and a description (optional), as a task's. */
export function checkNotice(f: { title: string; description: string }): Checked<{ title: string; description: string }, NoticeField> {
  const errors: Errors<NoticeField> = {};
  const title = required(f.title, LIMITS.title, 'errors.noticeTitleEmpty');
  if (title) errors.title = title;
  const description = optional(f.description, LIMITS.description);
  if (description) errors.description = description;
  return done(errors, () => ({ title: f.title.trim(), description: f.description.trim() }));
}

/** An answer to an offer or a need (the node holds it to a note's length). */
export function checkReply(text: string): Msg | null {
  return required(text, LIMITS.note, 'errors.replyEmpty');
}
