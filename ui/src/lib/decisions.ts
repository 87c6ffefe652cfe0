// The Decisions screen's and a proposal page's view logic: proposals in the node's order,
// where each stands and what its rounds ended with in words, tallies, the time left to a
// round, when to ask the node again, and the checks of the forms (a proposal, a stance, an
// outcome, a rewording). Plain functions over the node's answers, no DOM.
//
// The rules are weft-core's (`doc/proposals.rs`): a consent proposal takes consent or an
// objection; advice, agree or abstain; consensus, agree, abstain, disagree or a block. An
// objection or a block must say why. Rounds and their results are computed by the node from
// the stances and the time; nothing is written when a round ends, so the UI asks again then.

import { LIMITS } from './contract';
import { daysBetween, isDate } from './format';
import { msg, type Msg } from './i18n';
import type { Checked, Errors } from './validate';
import type {
  ApiError,
  DateStr,
  ProposalInfo,
  ProposalInput,
  ProposalKind,
  RoundInfo,
  RoundResult,
  SectorId,
  Stance,
  StanceInfo,
} from './types';

export const KINDS: readonly ProposalKind[] = ['consent', 'advice', 'consensus'];

/** The stances a member may take on a proposal of each kind (as `ProposalKind::stances`). */
export const STANCES_OF: Readonly<Record<ProposalKind, readonly Stance[]>> = {
  consent: ['consent', 'objection'],
  advice: ['agree', 'abstain'],
  consensus: ['agree', 'abstain', 'disagree', 'block'],
};

export const RESULTS: readonly RoundResult[] = ['consented', 'objected', 'advised', 'agreed', 'not-agreed', 'blocked', 'lapsed'];

/** An objection or a block stops a proposal: it must say why. */
export function needsReason(s: Stance): boolean {
  return s === 'objection' || s === 'block';
}

/** How long a round may run, in days, as the form offers it (the node takes 1 hour to 60 days). */
export const ROUND_DAYS: readonly number[] = [1, 2, 3, 5, 7, 14, 30];
export const DEFAULT_ROUND_DAYS = 7;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---- where a proposal stands ----

export function isOpen(p: Pick<ProposalInfo, 'status'>): boolean {
  return p.status.state === 'open';
}

/** The round open now, or the last one. */
export function lastRound(p: Pick<ProposalInfo, 'rounds'>): RoundInfo | null {
  return p.rounds[p.rounds.length - 1] ?? null;
}

/** When the proposal's last round ends or ended (its opening when it has none). */
function endOf(p: Pick<ProposalInfo, 'rounds' | 'created_at'>): number {
  return lastRound(p)?.closes ?? p.created_at;
}

/**
 * The node's order: open proposals first, the one closing soonest first; then the others,
 * the one that ended last first; ties by id.
 */
export function compareProposals(a: ProposalInfo, b: ProposalInfo): number {
  const oa = isOpen(a);
  const ob = isOpen(b);
  if (oa !== ob) return oa ? -1 : 1;
  const d = oa ? endOf(a) - endOf(b) : endOf(b) - endOf(a);
  if (d) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface ProposalGroups {
  /** Taking stances now. */
  open: ProposalInfo[];
  /** Decided, with an outcome whose review date has come. */
  review: ProposalInfo[];
  /** Everything else: decided, not decided, withdrawn. */
  ended: ProposalInfo[];
}

/** The Decisions screen's lists, each in the node's order. */
export function groupProposals(list: readonly ProposalInfo[]): ProposalGroups {
  const sorted = [...list].sort(compareProposals);
  return {
    open: sorted.filter(isOpen),
    review: sorted.filter((p) => !isOpen(p) && p.review_due),
    ended: sorted.filter((p) => !isOpen(p) && !p.review_due),
  };
}

/** Decided, and nobody has written what was decided yet. */
export function outcomeToWrite(p: Pick<ProposalInfo, 'status' | 'outcome'>): boolean {
  return p.status.state === 'decided' && p.outcome === null;
}

// ---- in words ----

export function kindMsg(k: ProposalKind): Msg {
  return msg(`decisions.kind.${k}`);
}

/** One line on what a kind of proposal means. */
export function kindHelpMsg(k: ProposalKind): Msg {
  return msg(`decisions.kindHelp.${k}`);
}

/** A stance as a word ("Objection"). */
export function stanceMsg(s: Stance): Msg {
  return msg(`decisions.stance.${s}`);
}

/** What a round ended with, in words ("Consented: nobody objected"). */
export function resultMsg(r: RoundResult): Msg {
  return msg(`decisions.result.${r}`);
}

/** Where a proposal stands, in words. */
export function statusMsg(p: Pick<ProposalInfo, 'status'>): Msg {
  switch (p.status.state) {
    case 'open':
      return msg('decisions.status.open', { round: p.status.round });
    case 'decided':
    case 'not_decided':
      return resultMsg(p.status.result);
    case 'withdrawn':
      return msg('decisions.status.withdrawn');
  }
}

/** The member's stance that counts now, or "not yet". */
export function myStanceMsg(p: Pick<ProposalInfo, 'my_stance'>): Msg {
  return p.my_stance ? stanceMsg(p.my_stance) : msg('decisions.notYet');
}

/** A round's tally: "Consent: 3", "Objection: 1", … (every stance of the kind), or "no stances yet". */
export function tallyMsgs(r: Pick<RoundInfo, 'tally'>): Msg[] {
  if (!r.tally.some(([, n]) => n > 0)) return [msg('decisions.noStances')];
  return r.tally.map(([stance, count]) => msg('decisions.tally', { stance: stanceMsg(stance), count }));
}

/**
 * How long until a round closes, from `now` (ms): "closes in 3 days", "in 5 hours", "in 12
 * minutes", "in less than a minute"; "closing now" once its time has come and the node has
 * not said so yet.
 */
export function closesMsg(closes: number, now: number): Msg {
  const left = closes - now;
  if (left <= 0) return msg('decisions.closesNow');
  if (left < 60_000) return msg('decisions.closesSoon');
  if (left < HOUR) return msg('decisions.closesIn.minutes', { count: Math.ceil(left / 60_000) });
  if (left < 2 * DAY) return msg('decisions.closesIn.hours', { count: Math.max(1, Math.round(left / HOUR)) });
  return msg('decisions.closesIn.days', { count: Math.round(left / DAY) });
}

export type HistoryState = 'counts' | 'changed' | 'late';

/**
 * Each stance ever taken, in time order, with whether it counts in its round, was changed
 * later in that round, or came after the round closed early (kept, never counted).
 */
export function historyRows(p: Pick<ProposalInfo, 'history' | 'rounds'>): { stance: StanceInfo; state: HistoryState }[] {
  const counted = new Set<string>();
  for (const r of p.rounds) for (const s of r.stances) counted.add(`${s.member}/${s.at}`);
  return p.history.map((s) => {
    if (counted.has(`${s.member}/${s.at}`)) return { stance: s, state: 'counts' };
    const later = p.history.some((x) => x.member === s.member && x.round === s.round && x.at > s.at);
    return { stance: s, state: later ? 'changed' : 'late' };
  });
}

// ---- when to ask the node again ----

/** A timer's longest wait (setTimeout's limit is about 24.8 days); a later moment is waited for in steps. */
export const MAX_WAIT_MS = DAY;
/** A moment after a round's end, so the node's clock has surely passed it. */
export const AFTER_MS = 250;

/** The next local midnight after `now` (a review date comes then). */
function nextMidnight(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/**
 * How long to wait (ms) before asking the node again about `proposals`, or null when nothing
 * they show changes with time alone. A round ends with nothing written, so no event tells
 * the read cache: the answer changes when an open round's `closes` passes (0: it has passed
 * and the answer still says open, so it is older than that), and when a review date comes
 * (the next midnight, for an outcome whose review is still ahead).
 */
export function refreshDelay(proposals: readonly ProposalInfo[], now: number, today: DateStr): number | null {
  let next: number | null = null;
  const consider = (ms: number) => (next = next === null ? ms : Math.min(next, ms));
  for (const p of proposals) {
    const r = lastRound(p);
    if (isOpen(p) && r) consider(r.closes > now ? r.closes - now + AFTER_MS : 0);
    const review = p.outcome?.review;
    if (review && !p.review_due && review > today) consider(nextMidnight(now) - now + AFTER_MS);
  }
  return next === null ? null : Math.min(next, MAX_WAIT_MS);
}

// ---- forms ----

export interface ProposalForm {
  title: string;
  details: string;
  kind: ProposalKind;
  /** How long each round runs, in days. */
  days: number;
  /** A guild id, or '' for the whole community. */
  guild: string;
  /** A sector id, or '' for none. */
  sector: SectorId;
  /** What it answers, set by where the form was opened from (never typed). */
  concern: string | null;
  task: string | null;
}

export type ProposalField = 'title' | 'days';

export function emptyProposalForm(about: { concern?: string; task?: string; sector?: string } = {}): ProposalForm {
  return {
    title: '',
    details: '',
    kind: 'consent',
    days: DEFAULT_ROUND_DAYS,
    guild: '',
    sector: about.sector ?? '',
    concern: about.concern ?? null,
    task: about.task ?? null,
  };
}

/** A new proposal: a title (the details' length is the node's to refuse, in words). */
export function checkProposal(f: ProposalForm): Checked<ProposalInput, ProposalField> {
  const errors: Errors<ProposalField> = {};
  const title = f.title.trim();
  if (!title) errors.title = msg('errors.proposalTitleEmpty');
  else if ([...title].length > LIMITS.title) errors.title = msg('errors.tooLong', { max: LIMITS.title, count: [...title].length });
  if (!ROUND_DAYS.includes(f.days)) errors.days = msg('errors.roundDays');
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      title,
      details: f.details.trim(),
      kind: f.kind,
      round_hours: f.days * 24,
      guild: f.guild || null,
      concern: f.concern,
      task: f.task,
      sector: f.sector || null,
    },
  };
}

/**
 * A stance to take: one of the proposal's choices, with a reason when it is an objection or
 * a block (optional otherwise; an empty one is sent as none).
 */
export function checkStance(
  stance: Stance,
  reason: string,
  choices: readonly Stance[],
): Checked<{ stance: Stance; reason: string | null }, 'stance' | 'reason'> {
  if (!choices.includes(stance))
    return { ok: false, errors: { stance: msg('errors.stanceNotChoice') } };
  const why = reason.trim();
  if (!why && needsReason(stance))
    return { ok: false, errors: { reason: msg('errors.reasonNeeded', { stance: stanceNounMsg(stance) }) } };
  return { ok: true, value: { stance, reason: why || null } };
}

/** A stance as a noun in a sentence ("your objection"). */
export function stanceNounMsg(s: Stance): Msg {
  return msg(`decisions.stanceNoun.${s}`);
}

export type OutcomeField = 'text' | 'review';

/** What was decided (required) and, optionally, a day to look at it again: today or later. */
export function checkOutcome(text: string, review: string, today: DateStr): Checked<{ text: string; review: DateStr | null }, OutcomeField> {
  const errors: Errors<OutcomeField> = {};
  if (!text.trim()) errors.text = msg('errors.outcomeEmpty');
  const day = review.trim();
  if (day && !isDate(day)) errors.review = msg('errors.dateFormat');
  else if (day && daysBetween(today, day) < 0) errors.review = msg('errors.reviewPast');
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { text: text.trim(), review: day || null } };
}

/** A rewording: only what changed is sent (an empty change sends nothing). */
export function checkEdit(
  p: Pick<ProposalInfo, 'title' | 'details'>,
  title: string,
  details: string,
): Checked<{ title: string | null; details: string | null }, 'title'> {
  const t = title.trim();
  if (!t) return { ok: false, errors: { title: msg('errors.proposalTitleEmpty') } };
  if ([...t].length > LIMITS.title) return { ok: false, errors: { title: msg('errors.tooLong', { max: LIMITS.title, count: [...t].length }) } };
  const d = details.trim();
  return { ok: true, value: { title: t === p.title ? null : t, details: d === p.details ? null : d } };
}

/**
 * The form field a node error is about, so it shows there: the field its detail names, the
 * reason for a stance that needs one; null for anything else (shown above the form).
 */
export function errorField(e: Pick<ApiError, 'detail'> | null): string | null {
  const d = e?.detail;
  if (!d) return null;
  if (d.kind === 'reason_needed') return 'reason';
  if (d.kind === 'review_in_past') return 'review';
  if (d.kind === 'round_length') return 'days';
  return 'field' in d && typeof d.field === 'string' ? d.field : null;
}
