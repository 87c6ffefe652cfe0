// The Decisions screen's and a proposal page's parts, rendered as HTML from the proposals'
// fixture (the node's answer as saved at 2026-12-07 10:00 UTC): what each shows and the hooks
// and labels the end-to-end tests and assistive technology rely on.
import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import proposalsJson from '../lib/fixtures/proposals.json';
import { settings } from '../lib/settings.svelte';
import type { ProposalInfo } from '../lib/types';
import OutcomeForm from './OutcomeForm.svelte';
import ProposalForm from './ProposalForm.svelte';
import ProposalRounds from './ProposalRounds.svelte';
import ProposalSummary from './ProposalSummary.svelte';
import StanceForm from './StanceForm.svelte';

const SAVED_AT = Date.UTC(2026, 11, 7, 10, 0);
const proposals = proposalsJson as ProposalInfo[];
const byTitle = (start: string): ProposalInfo => {
  const p = proposals.find((x) => x.title.startsWith(start));
  if (!p) throw new Error(`no fixture proposal '${start}'`);
  return p;
};

// Svelte's server renderer takes any component; its props are checked by the calls below.
const html = <P extends Record<string, unknown>>(c: Component<P>, props: P): string =>
  render(c as Component<Record<string, unknown>>, { props }).body.replace(/<!--[^>]*-->/g, '');
/** The text of the element carrying a test id (its first one). */
function textOf(out: string, testid: string): string {
  const m = new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)</(p|li|blockquote|span|td|div)>`).exec(out);
  return (m?.[1] ?? '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

afterEach(() => {
  settings.lang = 'en';
});

describe('a proposal in the list', () => {
  it('an open one: its link, when its round closes, my stance and the tally so far', () => {
    const p = byTitle('Keep the tool library open');
    const out = html(ProposalSummary, { proposal: p, now: SAVED_AT });
    expect(out).toContain(`href="#/proposal/${p.id}"`);
    expect(out).toMatch(/data-testid="proposal-link"[^>]*>Keep the tool library open on Sunday mornings</);
    expect(textOf(out, 'proposal-closes')).toMatch(/^Open, round 1 · closes in 5 days \(/);
    expect(out).toContain('data-testid="proposal-my-stance" data-stance="consent"');
    expect(textOf(out, 'proposal-my-stance')).toBe('Your stance: Consent');
    expect(textOf(out, 'proposal-tally')).toBe('Consent: 3 · Objection: 1');
    expect(out).toContain("Makers' corner guild");
  });
  it('where I have taken no stance yet, says so', () => {
    const out = html(ProposalSummary, { proposal: byTitle('Replace the garden'), now: SAVED_AT });
    expect(textOf(out, 'proposal-my-stance')).toBe('Your stance: not yet');
    expect(textOf(out, 'proposal-closes')).toMatch(/^Open, round 2 · closes in 24 hours/);
    expect(textOf(out, 'proposal-tally')).toBe('Agree: 1 · Abstain: 1 · Disagree: 0 · Block: 0');
  });
  it('a decided one: its result in words, the outcome and its review, marked when due', () => {
    const out = html(ProposalSummary, { proposal: byTitle('Move the repair café'), now: SAVED_AT });
    expect(out).toContain('data-testid="review-due"');
    expect(textOf(out, 'proposal-result')).toMatch(/^Consented: nobody objected/);
    expect(textOf(out, 'proposal-outcome')).toBe('From February the repair café is on the first Saturday, 10 to 14, at the hall.');
    expect(textOf(out, 'proposal-review')).toMatch(/that day has come$/);
  });
  it('decided with nobody having written the outcome yet', () => {
    const out = html(ProposalSummary, { proposal: byTitle('Buy a second-hand chest freezer'), now: SAVED_AT });
    expect(textOf(out, 'proposal-result')).toMatch(/^Advice given: it goes ahead/);
    expect(out).toContain('data-testid="proposal-outcome-missing"');
    expect(out).not.toContain('data-testid="review-due"');
  });
  it('not decided, and withdrawn, in Spanish', () => {
    settings.lang = 'es';
    const lapsed = html(ProposalSummary, { proposal: byTitle('A second choir'), now: SAVED_AT });
    expect(lapsed).toContain('data-result="lapsed"');
    expect(textOf(lapsed, 'proposal-result')).toMatch(/^Caducada: nadie tomó postura a tiempo/);
    const gone = html(ProposalSummary, { proposal: byTitle('Close the garden'), now: SAVED_AT });
    expect(gone).toContain('data-result="withdrawn"');
    expect(textOf(gone, 'proposal-result')).toMatch(/^Retirada por quien la propuso/);
  });
});

describe('the rounds and the history', () => {
  const p = byTitle('Replace the garden');
  const out = html(ProposalRounds, { proposal: p, now: SAVED_AT });
  it('each round with its tally, result and the stances that count, with their reasons', () => {
    expect(out.match(/data-testid="proposal-round"/g)).toHaveLength(2);
    expect(out).toContain('data-round="1" data-result="blocked"');
    expect(out).toContain('closed early by its author');
    expect(out).toMatch(/<strong>Blocked: a new round opened<\/strong>/);
    expect(out).toContain('Not before we have a second quote');
    expect(out).toContain('data-round="2" data-result=""');
    expect(out).toMatch(/<strong>Open<\/strong> · closes in 24 hours/);
    expect(out.match(/data-testid="round-stance"/g)).toHaveLength(5);
    expect(out).toContain('aria-label="Stances that count in round 1"');
  });
  it('every stance ever taken, in a table with headers', () => {
    expect(out.match(/data-testid="history-row"/g)).toHaveLength(p.history.length);
    expect(out).toMatch(/<th scope="col">Who<\/th>/);
    expect(out.match(/data-state="counts"/g)).toHaveLength(5);
  });
  it('a stance changed later says so', () => {
    const a = html(ProposalRounds, { proposal: byTitle('Keep the tool library open'), now: SAVED_AT });
    expect(a).toContain('data-testid="history-row" data-state="changed"');
    expect(a).toContain('(changed later)');
  });
});

describe('taking a stance', () => {
  it('a button per stance the kind allows, mine pressed, and a labelled reason', () => {
    const p = byTitle('Keep the tool library open');
    const out = html(StanceForm, { proposal: p });
    expect(out).toMatch(/data-testid="stance-consent"[^>]*>Consent</);
    expect(out).toMatch(/data-testid="stance-objection"[^>]*>Objection</);
    expect(out).toMatch(/aria-pressed="true"[^>]*data-testid="stance-consent"/);
    expect(out).toMatch(/aria-pressed="false"[^>]*data-testid="stance-objection"/);
    expect(out).toContain('<label for="stance-reason">Why (your reason)</label>');
    expect(out).toMatch(/<textarea id="stance-reason" aria-describedby="stance-reason-hint"[^>]*data-testid="stance-reason"/);
    expect(out).toContain('Needed for an objection');
    expect(out).toContain('role="group" aria-label="Take your stance"');
  });
  it('consensus offers its four, a block needing a reason', () => {
    const out = html(StanceForm, { proposal: byTitle('Replace the garden') });
    for (const s of ['agree', 'abstain', 'disagree', 'block']) expect(out).toContain(`data-testid="stance-${s}"`);
    expect(out).toContain('Needed for a block');
    expect(out).toContain('data-testid="my-stance" data-stance=""');
  });
});

describe('the forms', () => {
  it('the outcome: what was decided and an optional review day, not before today', () => {
    const out = html(OutcomeForm, { proposal: byTitle('Buy a second-hand chest freezer') });
    expect(out).toContain('<label for="outcome-text">What was decided</label>');
    expect(out).toMatch(/<textarea id="outcome-text"[^>]*data-testid="outcome-text"/);
    expect(out).toMatch(/<input id="outcome-review" aria-describedby="outcome-review-hint" type="date" min="\d{4}-\d{2}-\d{2}"/);
    expect(out).toContain('data-testid="outcome-submit"');
  });
  it('a new proposal: each kind with its one line, seven days by default, the sector it was opened for', () => {
    const out = html(ProposalForm, { about: { sector: 'food' } });
    for (const k of ['consent', 'advice', 'consensus']) {
      expect(out).toMatch(new RegExp(`aria-describedby="proposal-kind-${k}-help"[^>]*data-testid="proposal-kind-${k}"`));
      expect(out).toContain(`id="proposal-kind-${k}-help"`);
    }
    expect(out).toMatch(/name="proposal-kind" value="consent"[^>]*checked/);
    expect(out).toContain('It goes ahead unless someone objects, saying why');
    expect(out).toMatch(/<option value="7" selected[^>]*>7 days<\/option>/);
    expect(out).toMatch(/<option value="food" selected[^>]*>/);
    expect(out).toContain('<label for="proposal-title">What do you propose?</label>');
    expect(out).toContain('data-testid="proposal-open-submit"');
    expect(out).not.toContain('data-testid="proposal-about"');
  });
  it('opened from a concern, says what it answers', () => {
    const out = html(ProposalForm, { about: { concern: 'f4k2abcd' } });
    expect(textOf(out, 'proposal-about')).toMatch(/^It answers a concern raised on the board\./);
    expect(out).toContain('data-testid="proposal-about-clear"');
  });
});
