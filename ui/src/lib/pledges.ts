// Who is on a task and how: a pledge's day, a member looking for someone to stand in, who
// stands in for whom, a place handed over; and what the member may do about each. Plain
// functions, tested without a DOM.

import { msg, type Msg } from './i18n';
import type { PledgeView, TaskDetail } from './types';

/** The pledges a task page lists: every one not withdrawn (a handed-over one too, saying so). */
export function listedPledges(pledges: readonly PledgeView[]): PledgeView[] {
  return pledges.filter((p) => p.state !== 'withdrawn');
}

/** The member's own pledge on the task, if any. */
export function myPledgeView(pledges: readonly PledgeView[], me: string | null): PledgeView | null {
  return (me && pledges.find((p) => p.member === me)) || null;
}

/** What to say beside a pledge's name: done, for a crew, its day, a stand-in looked for, given or found. */
export function pledgeNotes(p: PledgeView): Msg[] {
  const out: Msg[] = [];
  if (p.state === 'done') out.push(msg('task.pledgeDone'));
  if (p.crew) out.push(msg('pledges.forCrew', { name: p.crew }));
  if (p.handed_over_to) out.push(msg('pledges.handedOverTo', { name: p.handed_over_to }));
  else if (p.stand_in && p.state === 'pledged') out.push(msg('pledges.lookingForStandIn'));
  if (p.stands_in_for) out.push(msg('pledges.standsInFor', { name: p.stands_in_for }));
  if (p.on && p.state === 'pledged' && !p.handed_over_to) out.push(msg('pledges.on', { date: p.on }));
  return out;
}

/**
 * Whether the member may take over this place: someone else's, who looks for a stand-in and
 * has not found one, on an open task, while the member holds no place of their own on it.
 */
export function canTakeOver(
  p: PledgeView,
  task: Pick<TaskDetail, 'status' | 'my_pledge'>,
  me: string | null,
): boolean {
  return (
    !!me &&
    p.member !== me &&
    p.state === 'pledged' &&
    p.stand_in &&
    !p.handed_over_to &&
    task.status === 'open' &&
    task.my_pledge !== 'pledged'
  );
}

/** Where the member's own pledge stands, for what the page offers them. */
export type MyPlace =
  /** Holding a place: may choose a day, look for a stand-in, mark done or withdraw. */
  | 'holding'
  /** Holding it while looking for someone to stand in. */
  | 'looking'
  /** Someone took it over: nothing left to do. */
  | 'handed-over'
  | 'done'
  | 'none';

export function myPlace(task: Pick<TaskDetail, 'my_pledge'>, mine: PledgeView | null): MyPlace {
  if (task.my_pledge === 'done') return 'done';
  if (task.my_pledge !== 'pledged') return 'none';
  if (mine?.handed_over_to) return 'handed-over';
  return mine?.stand_in ? 'looking' : 'holding';
}
