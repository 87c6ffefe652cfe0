// Notifications for urgent tasks that fit the member: which suggestions are new (once per
// task, remembered across restarts), and how many to show at once.

import type { Suggestion } from './types';

/** At most this many notifications after one change; the rest are summed up in one. */
export const MAX_AT_ONCE = 3;
/** How many notified task ids are remembered. */
export const REMEMBER = 500;

export function newUrgent(items: readonly Suggestion[], seen: ReadonlySet<string>): Suggestion[] {
  return items.filter((s) => s.urgency === 'urgent' && !seen.has(s.task));
}

export interface Batch {
  show: Suggestion[];
  more: number;
}

export function batch(fresh: readonly Suggestion[]): Batch {
  return { show: fresh.slice(0, MAX_AT_ONCE), more: Math.max(0, fresh.length - MAX_AT_ONCE) };
}

/** The remembered ids after notifying `fresh`: newest last, the oldest dropped. */
export function remember(seen: readonly string[], fresh: readonly Pick<Suggestion, 'task'>[]): string[] {
  const out = seen.filter((id) => !fresh.some((s) => s.task === id));
  out.push(...fresh.map((s) => s.task));
  return out.slice(-REMEMBER);
}
