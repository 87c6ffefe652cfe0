// Gatherings: the whole community together for a day or a few (a harvest weekend, a yearly
// assembly), with their tasks and who is coming. Their days and places in words, the member's
// answer, and the forms to announce one, change it and add a task for it. Plain functions,
// tested without a DOM.

import { LIMITS } from './contract';
import { daysBetween, isDate } from './format';
import { msg, type Msg } from './i18n';
import { checkTask, EMPTY_TASK_FORM, required, type Checked, type Context, type Errors, type TaskField, type TaskForm } from './validate';
import type { DateStr, GatheringEdit, GatheringInfo, NewGathering, TaskInput } from './types';

/** "on 13 Jun 2026", or "from 13 Jun 2026 to 14 Jun 2026". */
export function daysMsg(g: Pick<GatheringInfo, 'starts' | 'ends'>): Msg {
  return g.ends > g.starts ? msg('gatherings.fromTo', { starts: g.starts, until: g.ends }) : msg('gatherings.on', { date: g.starts });
}

/** How many days it lasts, first and last included. */
export function lengthInDays(starts: DateStr, ends: DateStr): number {
  return daysBetween(starts, ends) + 1;
}

/** The member's answer: coming, not coming, or not said yet. */
export type Answer = 'coming' | 'not-coming' | 'unsaid';

export function answerOf(g: Pick<GatheringInfo, 'coming'>): Answer {
  return g.coming === true ? 'coming' : g.coming === false ? 'not-coming' : 'unsaid';
}

/** "12 coming". */
export function comingMsg(g: Pick<GatheringInfo, 'attending'>): Msg {
  return msg('gatherings.coming', { count: g.attending.length });
}

/** "5 places open on its tasks", or that every place is taken, or that it has no tasks yet. */
export function placesMsg(g: Pick<GatheringInfo, 'open_places' | 'tasks'>): Msg {
  if (!g.tasks.length) return msg('gatherings.noTasks');
  return g.open_places > 0 ? msg('gatherings.openPlaces', { count: g.open_places }) : msg('gatherings.allTaken');
}

/** Those still on, in the node's order (soonest first), and those called off. */
export function splitGatherings<T extends Pick<GatheringInfo, 'cancelled'>>(list: readonly T[]): { on: T[]; off: T[] } {
  return { on: list.filter((g) => !g.cancelled), off: list.filter((g) => g.cancelled) };
}

/** Whether the gathering is going on today. */
export function isOn(g: Pick<GatheringInfo, 'starts' | 'ends'>, today: DateStr): boolean {
  return g.starts <= today && today <= g.ends;
}

// ---- the forms ----

export interface GatheringForm {
  title: string;
  description: string;
  /** YYYY-MM-DD. */
  starts: string;
  /** '' (the first day) or YYYY-MM-DD. */
  ends: string;
  place: string;
}

export type GatheringField = 'title' | 'description' | 'starts' | 'ends' | 'place';

export const EMPTY_GATHERING_FORM: GatheringForm = { title: '', description: '', starts: '', ends: '', place: '' };

function tooLong(text: string, max: number): Msg | null {
  const n = [...text.trim()].length;
  return n > max ? msg('errors.tooLong', { max, count: n }) : null;
}

/**
 * The fields of a gathering as typed. `keepStarts`: the first day it had, which may stay as
 * it is once it passed (a gathering going on now is changed too).
 */
function checkFields(f: GatheringForm, today: DateStr, keepStarts: DateStr | null): Checked<NewGathering, GatheringField> {
  const errors: Errors<GatheringField> = {};
  const title = required(f.title, LIMITS.title, 'errors.gatheringTitleEmpty');
  if (title) errors.title = title;
  const description = tooLong(f.description, LIMITS.description);
  if (description) errors.description = description;
  const starts = f.starts.trim();
  if (!starts) errors.starts = msg('errors.gatheringStartsEmpty');
  else if (!isDate(starts)) errors.starts = msg('errors.dateFormat');
  else if (starts < today && starts !== keepStarts) errors.starts = msg('errors.gatheringStartsPast');
  const ends = f.ends.trim() || starts;
  if (f.ends.trim() && !isDate(f.ends)) errors.ends = msg('errors.dateFormat');
  else if (!errors.starts && isDate(ends)) {
    if (ends < starts) errors.ends = msg('errors.gatheringEndsBeforeStart');
    else if (lengthInDays(starts, ends) > LIMITS.gatheringDaysMax) errors.ends = msg('errors.gatheringTooLong', { count: LIMITS.gatheringDaysMax });
  }
  const place = tooLong(f.place, LIMITS.location);
  if (place) errors.place = place;
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: { title: f.title.trim(), description: f.description.trim(), starts, ends: f.ends.trim() || null, place: f.place.trim() || null },
  };
}

/** A new gathering: a title, its first (and last) day, within the node's limits, and where. */
export function checkGathering(f: GatheringForm, today: DateStr): Checked<NewGathering, GatheringField> {
  return checkFields(f, today, null);
}

export function gatheringToForm(g: Pick<GatheringInfo, 'title' | 'description' | 'starts' | 'ends' | 'place'>): GatheringForm {
  return { title: g.title, description: g.description, starts: g.starts, ends: g.ends, place: g.place ?? '' };
}

/** A change to a gathering, with only what changed (`place` left out: unchanged; `null`: cleared). */
export function checkGatheringEdit(g: GatheringInfo, f: GatheringForm, today: DateStr): Checked<GatheringEdit, GatheringField> {
  const checked = checkFields(f, today, g.starts);
  if (!checked.ok) return checked;
  const v = checked.value;
  const ends = v.ends ?? v.starts;
  const edit: GatheringEdit = {
    title: v.title === g.title ? null : v.title,
    description: v.description === g.description ? null : v.description,
    starts: v.starts === g.starts ? null : v.starts,
    ends: ends === g.ends ? null : ends,
    cancelled: null,
  };
  if ((v.place ?? null) !== (g.place ?? null)) edit.place = v.place;
  return { ok: true, value: edit };
}

/** Whether a gathering's edit changes nothing. */
export function isNoGatheringEdit(e: GatheringEdit): boolean {
  return e.title === null && e.description === null && e.starts === null && e.ends === null && e.cancelled === null && !('place' in e);
}

/**
 * A task for a gathering as its form starts: due on its first day (today, once it began), at
 * its place.
 */
export function gatheringTaskForm(g: Pick<GatheringInfo, 'starts' | 'place'>, sector: string, today: DateStr): TaskForm {
  return { ...EMPTY_TASK_FORM, sector, deadline: g.starts >= today ? g.starts : today, location: g.place ?? '' };
}

/** A task for a gathering: checked as any task (a gathering's tasks are not opened to neighbours from here). */
export function checkGatheringTask(f: TaskForm, ctx: Context): Checked<TaskInput, TaskField> {
  return checkTask({ ...f, openToNeighbours: false }, ctx);
}
