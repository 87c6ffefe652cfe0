// The browser preview's proposals (see preview.ts): the saved fixture, its times moved to
// today so its open rounds are still open, and the member's stances, closings, withdrawals,
// rewordings and outcomes kept in memory, with rounds and results computed by the rules of
// weft-core's `doc/proposals.rs` (a simplified copy: the preview's, never the app's).

import { STANCES_OF } from './decisions';
import type { ProposalInfo, ProposalInput, Request, Response, RoundInfo, RoundResult, Stance, StanceInfo } from './types';
import members from './fixtures/members.json';
import proposals from './fixtures/proposals.json';

/** When the fixture was saved (its "now"). */
const SAVED_AT = Date.UTC(2026, 11, 7, 10, 0);
const HOUR = 3_600_000;

function shifted(list: ProposalInfo[], by: number): ProposalInfo[] {
  const s = (x: StanceInfo): StanceInfo => ({ ...x, at: x.at + by });
  return list.map((p) => ({
    ...p,
    created_at: p.created_at + by,
    updated_at: p.updated_at === null ? null : p.updated_at + by,
    rounds: p.rounds.map((r) => ({ ...r, opened: r.opened + by, closes: r.closes + by, stances: r.stances.map(s) })),
    history: p.history.map(s),
    outcome: p.outcome ? { ...p.outcome, at: p.outcome.at + by } : null,
  }));
}

function resultOf(kind: ProposalInfo['kind'], counted: StanceInfo[]): RoundResult {
  const n = (st: Stance) => counted.filter((x) => x.stance === st).length;
  if (!counted.length) return 'lapsed';
  if (kind === 'consent') return n('objection') ? 'objected' : n('consent') ? 'consented' : 'lapsed';
  if (kind === 'advice') return 'advised';
  return n('block') ? 'blocked' : n('agree') > n('disagree') ? 'agreed' : 'not-agreed';
}

const tally = (kind: ProposalInfo['kind'], stances: StanceInfo[]): RoundInfo['tally'] =>
  STANCES_OF[kind].map((st) => [st, stances.filter((x) => x.stance === st).length]);

/** Ends the open round at `at` (its time, or the author's early close), opening the next after an objection. */
function endRound(p: ProposalInfo, at: number, early: boolean): void {
  const r = p.rounds[p.rounds.length - 1];
  r.closes = at;
  r.closed_early = early;
  r.result = resultOf(p.kind, r.stances);
  if ((r.result === 'objected' || r.result === 'blocked') && r.n < 5) {
    p.rounds.push({ n: r.n + 1, opened: at, closes: at + p.round_hours * HOUR, closed_early: false, result: null, stances: [], tally: tally(p.kind, []) });
    p.status = { state: 'open', round: r.n + 1 };
  } else if (r.result === 'consented' || r.result === 'advised' || r.result === 'agreed') {
    p.status = { state: 'decided', result: r.result };
  } else {
    p.status = { state: 'not_decided', result: r.result };
  }
  p.my_stance = p.rounds[p.rounds.length - 1].stances.find((s) => s.member === 'me')?.stance ?? null;
}

export function previewDecisions(community: string) {
  // The fixture's own member is the preview's "me".
  const saved = members.find((m) => m.is_me)?.id ?? 'me';
  const fixture = JSON.parse(JSON.stringify(proposals).replaceAll(saved, 'me')) as ProposalInfo[];
  const all: ProposalInfo[] = shifted(fixture, Date.now() - SAVED_AT);
  const copy = (p: ProposalInfo): ProposalInfo => structuredClone(p);
  /** Rounds whose time has passed end, as on every device. */
  const tend = () => {
    const now = Date.now();
    for (const p of all)
      while (p.status.state === 'open' && p.rounds[p.rounds.length - 1].closes <= now) endRound(p, p.rounds[p.rounds.length - 1].closes, false);
  };
  const find = (ref: string): ProposalInfo => {
    tend();
    const p = all.find((x) => x.id.startsWith(ref));
    if (!p) throw { code: 'not_found', message: `no proposal '${ref}'`, detail: { kind: 'no_such_proposal', reference: ref } };
    return p;
  };
  const open = (p: ProposalInfo) => {
    if (p.status.state !== 'open') throw { code: 'invalid', message: 'not open', detail: { kind: 'proposal_not_open', title: p.title } };
  };
  const mine = (p: ProposalInfo) => {
    if (!p.is_mine) throw { code: 'invalid', message: 'not yours', detail: { kind: 'not_proposal_author', title: p.title } };
  };
  const one = (p: ProposalInfo): Response => ({ kind: 'proposal', data: copy(p) });

  const newProposal = (input: ProposalInput): ProposalInfo => {
    const now = Date.now();
    const hours = input.round_hours ?? 168;
    return {
      community,
      id: Math.random().toString(32).slice(2, 12).padEnd(20, 'a'),
      title: input.title,
      details: input.details,
      kind: input.kind,
      round_hours: hours,
      guild: input.guild,
      guild_name: null,
      concern: input.concern,
      concern_note: input.concern ? 'A concern raised in this preview.' : null,
      task: input.task,
      task_title: null,
      sector: input.sector,
      created_by: 'me',
      created_by_name: 'You',
      created_at: now,
      updated_at: null,
      status: { state: 'open', round: 1 },
      rounds: [{ n: 1, opened: now, closes: now + hours * HOUR, closed_early: false, result: null, stances: [], tally: tally(input.kind, []) }],
      history: [],
      choices: [...STANCES_OF[input.kind]],
      my_stance: null,
      is_mine: true,
      outcome: null,
      review_due: false,
    };
  };

  /** The answer to a decisions request, or null when the request is not one. */
  return (r: Request): Response | null => {
    switch (r.op) {
      case 'proposals': {
        tend();
        const month = 30 * 24 * HOUR;
        const shown = all.filter((p) => r.all || p.status.state === 'open' || p.review_due || Date.now() - p.rounds[p.rounds.length - 1].closes <= month);
        return { kind: 'proposals', data: shown.map(copy) };
      }
      case 'proposal_show':
        return one(find(r.proposal));
      case 'proposal_open': {
        if (!r.proposal.title.trim()) throw { code: 'invalid', message: 'empty title', detail: { kind: 'empty', field: 'title' } };
        const p = newProposal(r.proposal);
        all.unshift(p);
        return one(p);
      }
      case 'stance': {
        const p = find(r.proposal);
        open(p);
        if ((r.stance === 'objection' || r.stance === 'block') && !r.reason?.trim())
          throw { code: 'invalid', message: 'a reason is needed', detail: { kind: 'reason_needed', stance: r.stance } };
        const round = p.rounds[p.rounds.length - 1];
        const s: StanceInfo = { member: 'me', name: 'You', stance: r.stance, reason: r.reason, at: Date.now(), round: round.n };
        p.history.push(s);
        round.stances = [...round.stances.filter((x) => x.member !== 'me'), s];
        round.tally = tally(p.kind, round.stances);
        p.my_stance = r.stance;
        return one(p);
      }
      case 'proposal_close': {
        const p = find(r.proposal);
        mine(p);
        open(p);
        endRound(p, Date.now(), true);
        return one(p);
      }
      case 'proposal_withdraw': {
        const p = find(r.proposal);
        mine(p);
        open(p);
        p.rounds[p.rounds.length - 1].closes = Date.now();
        p.status = { state: 'withdrawn' };
        return one(p);
      }
      case 'proposal_edit': {
        const p = find(r.proposal);
        mine(p);
        open(p);
        if (r.title !== null) p.title = r.title;
        if (r.details !== null) p.details = r.details;
        p.updated_at = Date.now();
        return one(p);
      }
      case 'outcome': {
        const p = find(r.proposal);
        if (p.status.state !== 'decided') throw { code: 'invalid', message: 'not decided', detail: { kind: 'not_decided', title: p.title } };
        p.outcome = { text: r.text, by: 'me', by_name: 'You', at: Date.now(), review: r.review };
        return one(p);
      }
      default:
        return null;
    }
  };
}
