// Asking how a task went, once, after the member did their part: which tasks to ask about.
// Plain functions over what is remembered on this device and what the node says.
//
// No read of the node lists the tasks a member finished (`my_hours` sums hours by sector;
// a task's pledges come one task at a time). So the asks come from two places: what the
// member does here (marking their part done, logging hours to a task), remembered on this
// device; and their hours logged to a task from anywhere that nobody has confirmed yet
// (`pending`'s `mine_unconfirmed`, recent ones). Each task is asked about once: answered or
// waved away, it is never asked again.

import { dayNumber } from './format';
import type { EntryInfo } from './types';

/** Work done on a task, to ask about. */
export interface DoneWork {
  task: string;
  title: string;
  /** The task's community (null: not known, asked in any). */
  community: string | null;
  /** When it was done (ms). */
  at: number;
}

/** What this device remembers: tasks to ask about, and tasks asked about already. */
export interface AskState {
  due: DoneWork[];
  asked: string[];
}

export const EMPTY_ASKS: AskState = { due: [], asked: [] };
/** Work done longer ago than this is not asked about any more. */
export const ASK_WITHIN_DAYS = 21;
/** At most this many asks show at once (the newest). */
export const ASK_AT_ONCE = 3;
/** How many asked tasks are remembered (the oldest are forgotten first). */
export const REMEMBER_ASKED = 500;

const DAY_MS = 86_400_000;

/** The member did their part of a task, or logged hours to it: ask about it (once). */
export function noteDone(s: AskState, w: DoneWork): AskState {
  if (s.asked.includes(w.task) || s.due.some((d) => d.task === w.task)) return s;
  return { ...s, due: [...s.due, w].slice(-REMEMBER_ASKED) };
}

/** Answered or waved away: never asked again. */
export function answered(s: AskState, task: string): AskState {
  return {
    due: s.due.filter((d) => d.task !== task),
    asked: [...s.asked.filter((x) => x !== task), task].slice(-REMEMBER_ASKED),
  };
}

/** The member's hours logged to a task, as work done on the day they were logged for. */
export function doneFromEntries(entries: readonly EntryInfo[]): DoneWork[] {
  return entries
    .filter((e) => e.task && !e.retracted)
    .map((e) => ({
      task: e.task as string,
      title: e.task_title ?? '',
      community: e.community,
      at: (dayNumber(e.date) ?? 0) * DAY_MS,
    }));
}

/**
 * The tasks to ask about now in `community`: remembered and reported work together, one
 * per task, not asked about yet, done within the last few weeks; the newest first, a few.
 */
export function toAsk(s: AskState, reported: readonly DoneWork[], community: string | null, now: number): DoneWork[] {
  const since = now - ASK_WITHIN_DAYS * DAY_MS;
  const byTask = new Map<string, DoneWork>();
  for (const w of [...s.due, ...reported]) {
    if (s.asked.includes(w.task) || w.at < since) continue;
    if (community && w.community && w.community !== community) continue;
    const had = byTask.get(w.task);
    if (!had || w.at > had.at) byTask.set(w.task, { ...w, title: w.title || had?.title || '' });
  }
  return [...byTask.values()]
    .filter((w) => w.title)
    .sort((a, b) => b.at - a.at || (a.task < b.task ? -1 : 1))
    .slice(0, ASK_AT_ONCE);
}

/** The remembered state, read defensively (anything malformed is dropped). */
export function parseAsks(raw: string | null): AskState {
  try {
    const v = JSON.parse(raw ?? '') as Partial<AskState>;
    const due = Array.isArray(v.due)
      ? v.due.filter(
          (d): d is DoneWork =>
            !!d && typeof d.task === 'string' && typeof d.title === 'string' && typeof d.at === 'number',
        )
      : [];
    const asked = Array.isArray(v.asked) ? v.asked.filter((x): x is string => typeof x === 'string') : [];
    return { due: due.map((d) => ({ ...d, community: typeof d.community === 'string' ? d.community : null })), asked };
  } catch {
    return EMPTY_ASKS;
  }
}
