// The Neighbours screen's view logic: neighbouring communities in a list by place, the state
// of each link in words, calls (ours and theirs) and offers and needs in a steady order.
// Plain functions over the node's answers, no DOM.

import { msg, type Msg } from './i18n';
import type { ReasonContext } from './reasons';
import type { CallInfo, NeighbourInfo, NoticeInfo, PledgeState, Urgency, VisitorInfo } from './types';

/**
 * Neighbours "by place": there are no coordinates, so no distance to sort by. Those that say
 * where they are come first, in the order of that text (so neighbours in the same town sit
 * together), then those that do not, by name. Ties by name, then by id, so the order is the
 * same on every screen.
 */
export function byPlace<T extends Pick<NeighbourInfo, 'community' | 'name' | 'location'>>(
  neighbours: readonly T[],
  locale: string,
): T[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true });
  const place = (n: T) => n.location?.trim() ?? '';
  return [...neighbours].sort((a, b) => {
    const pa = place(a);
    const pb = place(b);
    if (!pa !== !pb) return pa ? -1 : 1;
    return collator.compare(pa, pb) || collator.compare(a.name, b.name) || (a.community < b.community ? -1 : a.community > b.community ? 1 : 0);
  });
}

export type LinkState = 'both' | 'ours' | 'waiting' | 'ended';

/**
 * A link as both sides have written it: `both` (linked on each side), `ours` (our side
 * stands, their commons does not show theirs: they ended it, or have not written it yet),
 * `waiting` (our side stands, their commons has not arrived to say), `ended` (we ended it).
 */
export function linkState(n: Pick<NeighbourInfo, 'live' | 'theirs_live'>): LinkState {
  if (!n.live) return 'ended';
  if (n.theirs_live === null) return 'waiting';
  return n.theirs_live ? 'both' : 'ours';
}

/** What the directory entry says, as short facts (only those it gives). */
export function neighbourFacts(n: Pick<NeighbourInfo, 'members' | 'hosts' | 'languages' | 'open_calls'>): Msg[] {
  const out: Msg[] = [];
  out.push(n.members > 0 ? msg('neighbours.members', { count: n.members }) : msg('neighbours.membersUnknown'));
  if (n.hosts > 0) out.push(msg('neighbours.hosts', { count: n.hosts }));
  if (n.languages.trim()) out.push(msg('neighbours.languages', { languages: n.languages.trim() }));
  if (n.open_calls > 0) out.push(msg('neighbours.openCalls', { count: n.open_calls }));
  return out;
}

const URGENCY_RANK: Record<Urgency, number> = { urgent: 0, soon: 1, normal: 2 };

/**
 * Calls most pressing first: those that asked for help (escalated), then by urgency, the
 * nearest deadline (none last), title and task id.
 */
export function compareCalls(a: CallInfo, b: CallInfo): number {
  const e = Number(b.escalated) - Number(a.escalated);
  if (e) return e;
  const u = URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency];
  if (u) return u;
  if (a.deadline !== b.deadline) {
    if (!a.deadline) return 1;
    if (!b.deadline) return -1;
    return a.deadline < b.deadline ? -1 : 1;
  }
  if (a.title !== b.title) return a.title < b.title ? -1 : 1;
  return a.task < b.task ? -1 : a.task > b.task ? 1 : 0;
}

/** Open calls split into our neighbours' (to help with) and ours (to welcome visitors to). */
export function splitCalls(calls: readonly CallInfo[]): { theirs: CallInfo[]; ours: CallInfo[] } {
  const open = calls.filter((c) => c.open);
  return {
    theirs: open.filter((c) => !c.ours).sort(compareCalls),
    ours: open.filter((c) => c.ours).sort(compareCalls),
  };
}

/** The skills a call asks for, in words ("Skills it asks for: first aid and cooking"), or null. */
export function callSkills(call: Pick<CallInfo, 'skills'>, ctx: Pick<ReasonContext, 'skill' | 'list'>): Msg | null {
  if (!call.skills.length) return null;
  return msg('calls.skills', { skills: ctx.list(call.skills.map((s) => ctx.skill(s))) });
}

/** The member's own visit to a call: pledged, done, or null (never pledged, or withdrawn). */
export function myVisit(call: Pick<CallInfo, 'visitors'>, member: string | null | undefined): PledgeState | null {
  if (!member) return null;
  const v = call.visitors.find((x) => x.member === member);
  return v && v.state !== 'withdrawn' ? v.state : null;
}

export interface VisitorGroup {
  community: string;
  communityName: string;
  names: string[];
}

/**
 * Visitors who still come (not withdrawn), by community: "from Hills: Bea, Carl". Groups in
 * the order of the communities' names, names alphabetically (never by hours given).
 */
export function visitorsByCommunity(visitors: readonly VisitorInfo[], locale: string): VisitorGroup[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'base' });
  const groups = new Map<string, VisitorGroup>();
  for (const v of visitors) {
    if (v.state === 'withdrawn') continue;
    let g = groups.get(v.community);
    if (!g) {
      g = { community: v.community, communityName: v.community_name, names: [] };
      groups.set(v.community, g);
    }
    g.names.push(v.name);
  }
  const out = [...groups.values()].sort((a, b) => collator.compare(a.communityName, b.communityName));
  for (const g of out) g.names.sort((a, b) => collator.compare(a, b));
  return out;
}

/** Open offers and needs, newest first, each kind on its own. */
export function splitNotices(notices: readonly NoticeInfo[]): { offers: NoticeInfo[]; needs: NoticeInfo[] } {
  const open = notices.filter((n) => n.open).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
  return { offers: open.filter((n) => n.kind === 'offer'), needs: open.filter((n) => n.kind === 'need') };
}
