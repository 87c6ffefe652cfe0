import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import {
  AFTER_MS,
  checkEdit,
  checkOutcome,
  checkProposal,
  checkStance,
  closesMsg,
  compareProposals,
  emptyProposalForm,
  errorField,
  groupProposals,
  historyRows,
  KINDS,
  MAX_WAIT_MS,
  myStanceMsg,
  needsReason,
  outcomeToWrite,
  refreshDelay,
  RESULTS,
  STANCES_OF,
  statusMsg,
  tallyMsgs,
} from './decisions';
import { renderMsg, translate, type MessageTree, type Msg } from './i18n';
import type { ApiError, ProposalInfo, RoundInfo, Stance, StanceInfo } from './types';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2026, 11, 7, 10, 0);

const words = (tree: MessageTree, lang: string) => (m: Msg) => renderMsg(m, (k, p) => translate(tree, lang, k, p));
const inEnglish = words(en, 'en');
const inSpanish = words(es, 'es');

function stance(name: string, s: Stance, at: number, round = 1, reason: string | null = null): StanceInfo {
  return { member: `m-${name}`, name, stance: s, reason, at, round };
}

function round(n: number, opened: number, closes: number, stances: StanceInfo[] = [], extra: Partial<RoundInfo> = {}): RoundInfo {
  const kinds = new Set(stances.map((s) => s.stance));
  const all: Stance[] = kinds.has('objection') || kinds.has('consent') ? ['consent', 'objection'] : ['agree', 'abstain', 'disagree', 'block'];
  return {
    n,
    opened,
    closes,
    closed_early: false,
    result: null,
    stances,
    tally: all.map((s) => [s, stances.filter((x) => x.stance === s).length]),
    ...extra,
  };
}

function proposal(id: string, extra: Partial<ProposalInfo> = {}): ProposalInfo {
  return {
    community: 'riverside',
    id,
    title: `Proposal ${id}`,
    details: '',
    kind: 'consent',
    round_hours: 168,
    guild: null,
    guild_name: null,
    concern: null,
    concern_note: null,
    task: null,
    task_title: null,
    sector: null,
    created_by: 'm-Ana',
    created_by_name: 'Ana',
    created_at: NOW - D,
    updated_at: null,
    status: { state: 'open', round: 1 },
    rounds: [round(1, NOW - D, NOW + 6 * D)],
    history: [],
    choices: ['consent', 'objection'],
    my_stance: null,
    is_mine: false,
    outcome: null,
    review_due: false,
    ...extra,
  };
}

const ended = (id: string, closes: number, extra: Partial<ProposalInfo> = {}) =>
  proposal(id, {
    status: { state: 'decided', result: 'consented' },
    rounds: [round(1, closes - D, closes, [], { result: 'consented' })],
    ...extra,
  });

describe('the kinds and their stances', () => {
  it('are the node’s: a reason for an objection or a block only', () => {
    expect(STANCES_OF.consent).toEqual(['consent', 'objection']);
    expect(STANCES_OF.advice).toEqual(['agree', 'abstain']);
    expect(STANCES_OF.consensus).toEqual(['agree', 'abstain', 'disagree', 'block']);
    const all = [...new Set(KINDS.flatMap((k) => STANCES_OF[k]))];
    expect(all.filter(needsReason)).toEqual(['objection', 'block']);
  });
});

describe('proposals in order', () => {
  it('open ones first, closing soonest first; then the others, latest ended first', () => {
    const list = [
      ended('old', NOW - 20 * D),
      proposal('later', { rounds: [round(1, NOW - D, NOW + 5 * D)] }),
      ended('recent', NOW - 2 * D),
      proposal('soon', { rounds: [round(1, NOW - D, NOW + H)] }),
    ];
    expect([...list].sort(compareProposals).map((p) => p.id)).toEqual(['soon', 'later', 'recent', 'old']);
  });
  it('groups them: open, reviews that have come, the rest', () => {
    const review = ended('review', NOW - 30 * D, {
      review_due: true,
      outcome: { text: 'Done', by: 'm-Ana', by_name: 'Ana', at: NOW - 29 * D, review: '2026-12-01' },
    });
    const withdrawn = proposal('gone', { status: { state: 'withdrawn' } });
    const g = groupProposals([ended('a', NOW - D), review, proposal('open'), withdrawn]);
    expect(g.open.map((p) => p.id)).toEqual(['open']);
    expect(g.review.map((p) => p.id)).toEqual(['review']);
    expect(g.ended.map((p) => p.id)).toEqual(['gone', 'a']);
  });
  it('says when the outcome is still to be written', () => {
    expect(outcomeToWrite(ended('a', NOW - D))).toBe(true);
    expect(outcomeToWrite(proposal('b'))).toBe(false);
    expect(outcomeToWrite(proposal('c', { status: { state: 'not_decided', result: 'lapsed' } }))).toBe(false);
  });
});

describe('in words', () => {
  it('every result, stance and kind has words in both languages', () => {
    for (const r of RESULTS) {
      const p = proposal('x', { status: { state: 'decided', result: r } });
      for (const say of [inEnglish, inSpanish]) expect(say(statusMsg(p))).not.toMatch(/decisions\./);
    }
    expect(inEnglish(statusMsg(proposal('x', { status: { state: 'not_decided', result: 'lapsed' } })))).toBe(
      'Lapsed: nobody took a stance in time',
    );
    expect(inSpanish(statusMsg(proposal('x', { status: { state: 'open', round: 2 } })))).toBe('Abierta, ronda 2');
    expect(inEnglish(statusMsg(proposal('x', { status: { state: 'withdrawn' } })))).toBe('Withdrawn by its author');
  });
  it('the member’s stance, or not yet', () => {
    expect(inEnglish(myStanceMsg({ my_stance: 'objection' }))).toBe('Objection');
    expect(inSpanish(myStanceMsg({ my_stance: null }))).toBe('todavía ninguna');
  });
  it('a tally names every stance of the kind, or says there is none yet', () => {
    const r = round(1, 0, 1, [stance('Ana', 'consent', 0), stance('Bo', 'consent', 0), stance('Cy', 'objection', 0, 1, 'why')]);
    expect(tallyMsgs(r).map(inEnglish)).toEqual(['Consent: 2', 'Objection: 1']);
    expect(tallyMsgs(round(1, 0, 1)).map(inSpanish)).toEqual(['Aún no hay posturas']);
  });
  it('the time left to a round: minutes, hours, days; closing once its time has come', () => {
    const say = (left: number) => inEnglish(closesMsg(NOW + left, NOW));
    expect(say(-1)).toBe('closing now');
    expect(say(0)).toBe('closing now');
    expect(say(30_000)).toBe('closes in less than a minute');
    expect(say(61_000)).toBe('closes in 2 minutes');
    expect(say(H - 1)).toBe('closes in 60 minutes');
    expect(say(H)).toBe('closes in 1 hour');
    expect(say(47 * H)).toBe('closes in 47 hours');
    expect(say(2 * D)).toBe('closes in 2 days');
    expect(say(6 * D + 20 * H)).toBe('closes in 7 days');
    expect(inSpanish(closesMsg(NOW + D + 1, NOW))).toBe('se cierra en 24 horas');
  });
});

describe('the history of stances', () => {
  it('marks which count, which were changed later and which came after an early close', () => {
    const bo1 = stance('Bo', 'objection', NOW - 5 * H, 1, 'Who locks up?');
    const bo2 = stance('Bo', 'consent', NOW - 4 * H, 1);
    const ana = stance('Ana', 'consent', NOW - 3 * H, 1);
    const late = stance('Cy', 'objection', NOW - H, 1, 'Too fast');
    const p = proposal('x', {
      history: [bo1, bo2, ana, late],
      rounds: [round(1, NOW - D, NOW - 2 * H, [ana, bo2], { closed_early: true, result: 'consented' })],
    });
    expect(historyRows(p).map((r) => [r.stance.name, r.state])).toEqual([
      ['Bo', 'changed'],
      ['Bo', 'counts'],
      ['Ana', 'counts'],
      ['Cy', 'late'],
    ]);
  });
});

describe('asking the node again', () => {
  const today = '2026-12-07';
  it('just after the next open round closes', () => {
    const list = [proposal('a', { rounds: [round(1, NOW - D, NOW + 3 * H)] }), proposal('b', { rounds: [round(1, NOW - D, NOW + H)] })];
    expect(refreshDelay(list, NOW, today)).toBe(H + AFTER_MS);
  });
  it('at once when the answer still says open after the time (it is older than that)', () => {
    expect(refreshDelay([proposal('a', { rounds: [round(1, NOW - D, NOW - 1)] })], NOW, today)).toBe(0);
  });
  it('in steps a timer can wait for', () => {
    expect(refreshDelay([proposal('a', { rounds: [round(1, NOW, NOW + 40 * D)] })], NOW, today)).toBe(MAX_WAIT_MS);
  });
  it('never for what time alone does not change', () => {
    expect(refreshDelay([ended('a', NOW - D), proposal('w', { status: { state: 'withdrawn' } })], NOW, today)).toBeNull();
    expect(refreshDelay([], NOW, today)).toBeNull();
  });
  it('at the next midnight while a review is still ahead', () => {
    const outcome = { text: 'x', by: 'm', by_name: 'M', at: 0, review: '2026-12-09' };
    const delay = refreshDelay([ended('a', NOW - D, { outcome })], NOW, today);
    const midnight = new Date(NOW);
    const next = new Date(midnight.getFullYear(), midnight.getMonth(), midnight.getDate() + 1).getTime();
    expect(delay).toBe(next - NOW + AFTER_MS);
    expect(refreshDelay([ended('a', NOW - D, { outcome, review_due: true })], NOW, today)).toBeNull();
  });
});

describe('the proposal form', () => {
  it('needs a title of at most the node’s length', () => {
    const r = checkProposal({ ...emptyProposalForm(), title: '   ' });
    expect(r.ok ? null : r.errors.title?.key).toBe('errors.proposalTitleEmpty');
    const long = checkProposal({ ...emptyProposalForm(), title: 'x'.repeat(121) });
    expect(long.ok ? null : long.errors.title).toEqual({ key: 'errors.tooLong', params: { max: 120, count: 121 } });
  });
  it('offers only the round lengths it lists', () => {
    const r = checkProposal({ ...emptyProposalForm(), title: 'A', days: 4 });
    expect(r.ok ? null : r.errors.days?.key).toBe('errors.roundDays');
  });
  it('sends what the node takes: hours, and what it answers from where it was opened', () => {
    const f = { ...emptyProposalForm({ concern: 'f4k2', task: 'k3j2' }), title: ' Fix the drains ', details: ' Soon. ', guild: 'g1' };
    expect(f.days).toBe(7);
    expect(checkProposal(f)).toEqual({
      ok: true,
      value: { title: 'Fix the drains', details: 'Soon.', kind: 'consent', round_hours: 168, guild: 'g1', concern: 'f4k2', task: 'k3j2', sector: null },
    });
    const s = checkProposal({ ...emptyProposalForm({ sector: 'food' }), title: 'More cooks', kind: 'advice', days: 14 });
    expect(s.ok && s.value).toMatchObject({ sector: 'food', kind: 'advice', round_hours: 336, guild: null, concern: null, task: null });
  });
});

describe('taking a stance', () => {
  const consent: Stance[] = ['consent', 'objection'];
  it('an objection or a block must say why', () => {
    for (const [s, choices] of [
      ['objection', consent],
      ['block', STANCES_OF.consensus],
    ] as const) {
      const r = checkStance(s, '  ', choices);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(inEnglish(r.errors.reason as Msg)).toMatch(/^Your (objection|block) needs a reason/);
    }
    expect(checkStance('objection', ' The key went missing. ', consent)).toEqual({
      ok: true,
      value: { stance: 'objection', reason: 'The key went missing.' },
    });
  });
  it('any other stance may, and an empty reason is none', () => {
    expect(checkStance('consent', ' ', consent)).toEqual({ ok: true, value: { stance: 'consent', reason: null } });
    expect(checkStance('abstain', 'Away that week', STANCES_OF.advice)).toEqual({ ok: true, value: { stance: 'abstain', reason: 'Away that week' } });
  });
  it('only a stance the kind allows', () => {
    const r = checkStance('block', 'No', consent);
    expect(r.ok ? null : r.errors.stance?.key).toBe('errors.stanceNotChoice');
  });
  it('words the reason in Spanish with the stance as a noun', () => {
    const r = checkStance('block', '', STANCES_OF.consensus);
    expect(r.ok ? '' : inSpanish(r.errors.reason as Msg)).toBe('Tu bloqueo necesita un motivo: di qué daño ves o qué tendría que cambiar.');
  });
});

describe('the outcome and rewording', () => {
  it('an outcome needs words; a review day is optional, today or later', () => {
    const today = '2026-12-07';
    const empty = checkOutcome(' ', '', today);
    expect(empty.ok ? null : empty.errors.text?.key).toBe('errors.outcomeEmpty');
    const bad = checkOutcome('Done', '2026-13-01', today);
    expect(bad.ok ? null : bad.errors.review?.key).toBe('errors.dateFormat');
    const past = checkOutcome('Done', '2026-12-06', today);
    expect(past.ok ? null : past.errors.review?.key).toBe('errors.reviewPast');
    expect(checkOutcome(' Done ', today, today)).toEqual({ ok: true, value: { text: 'Done', review: today } });
    expect(checkOutcome('Done', '', today)).toEqual({ ok: true, value: { text: 'Done', review: null } });
  });
  it('a rewording sends only what changed', () => {
    const p = { title: 'Fix it', details: 'Soon' };
    expect(checkEdit(p, ' Fix it ', 'Soon')).toEqual({ ok: true, value: { title: null, details: null } });
    expect(checkEdit(p, 'Fix it', 'Next week')).toEqual({ ok: true, value: { title: null, details: 'Next week' } });
    const r = checkEdit(p, '', 'x');
    expect(r.ok ? null : r.errors.title?.key).toBe('errors.proposalTitleEmpty');
  });
});

describe('where a node error shows', () => {
  const err = (detail: ApiError['detail']): ApiError => ({ code: 'invalid', message: '', detail });
  it('at the field it names, the reason, the review day, or above the form', () => {
    expect(errorField(err({ kind: 'reason_needed', stance: 'objection' }))).toBe('reason');
    expect(errorField(err({ kind: 'too_long', field: 'details', len: 4001, max: 4000 }))).toBe('details');
    expect(errorField(err({ kind: 'review_in_past', date: '2026-01-01', today: '2026-02-01' }))).toBe('review');
    expect(errorField(err({ kind: 'proposal_not_open', title: 'x' }))).toBeNull();
    expect(errorField(err(null))).toBeNull();
    expect(errorField(null)).toBeNull();
  });
});
