import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import { renderMsg, translate, type Msg } from './i18n';
import { canTakeOver, listedPledges, myPlace, myPledgeView, pledgeNotes } from './pledges';
import type { PledgeView } from './types';

const english = (m: Msg) => renderMsg(m, (k, p) => translate(en, 'en', k, p));
const words = (p: PledgeView) => pledgeNotes(p).map(english);

const pledge = (member: string, over: Partial<PledgeView> = {}): PledgeView => ({
  member,
  name: member.toUpperCase(),
  state: 'pledged',
  at: 0,
  on: null,
  stand_in: false,
  stands_in_for: null,
  handed_over_to: null,
  crew: null,
  ...over,
});

describe('what a task page says about each pledge', () => {
  it('its day, and nothing more for a plain pledge', () => {
    expect(words(pledge('ana'))).toEqual([]);
    expect(pledgeNotes(pledge('ana', { on: '2026-03-12' }))).toEqual([{ key: 'pledges.on', params: { date: '2026-03-12' } }]);
  });
  it('looking for a stand-in, standing in, handed over', () => {
    expect(words(pledge('ana', { stand_in: true }))).toEqual(['looking for a stand-in']);
    expect(words(pledge('ben', { stands_in_for: 'Ana' }))).toEqual(['stands in for Ana']);
    // Handed over: no longer looking, and its day is the stand-in's now.
    expect(words(pledge('ana', { stand_in: true, on: '2026-03-12', handed_over_to: 'Ben' }))).toEqual(['handed over to Ben']);
  });
  it('taken for a crew, whose members share its hours', () => {
    expect(words(pledge('ana', { crew: 'Tuesday tea', on: '2026-03-12' }))).toEqual(['for the crew Tuesday tea', 'on 2026-03-12']);
  });
  it('done ones say so', () => {
    expect(words(pledge('ana', { state: 'done', stands_in_for: 'Cai' }))).toEqual(['done', 'stands in for Cai']);
  });
  it('withdrawn ones are not listed', () => {
    const list = [pledge('ana'), pledge('ben', { state: 'withdrawn' }), pledge('cai', { handed_over_to: 'Dee', stand_in: true })];
    expect(listedPledges(list).map((p) => p.member)).toEqual(['ana', 'cai']);
  });
});

describe('taking over a place', () => {
  const open = { status: 'open' as const, my_pledge: null };
  const looking = pledge('ana', { stand_in: true });
  it('offered for someone else’s place that looks for a stand-in', () => {
    expect(canTakeOver(looking, open, 'me')).toBe(true);
    expect(canTakeOver(pledge('ana'), open, 'me')).toBe(false);
  });
  it('not for my own, one already taken over, on a closed task, or while I hold a place', () => {
    expect(canTakeOver(pledge('me', { stand_in: true }), open, 'me')).toBe(false);
    expect(canTakeOver({ ...looking, handed_over_to: 'Ben' }, open, 'me')).toBe(false);
    expect(canTakeOver(looking, { status: 'closed', my_pledge: null }, 'me')).toBe(false);
    expect(canTakeOver(looking, { status: 'open', my_pledge: 'pledged' }, 'me')).toBe(false);
    expect(canTakeOver(looking, { status: 'open', my_pledge: 'withdrawn' }, 'me')).toBe(true);
    expect(canTakeOver(looking, open, null)).toBe(false);
  });
});

describe('my own place', () => {
  it('found among the pledges by my member id', () => {
    const list = [pledge('ana'), pledge('me', { on: '2026-03-12' })];
    expect(myPledgeView(list, 'me')?.on).toBe('2026-03-12');
    expect(myPledgeView(list, null)).toBeNull();
    expect(myPledgeView(list, 'zed')).toBeNull();
  });
  it('holding it, looking for a stand-in, handed over, done or none', () => {
    const mine = pledge('me');
    expect(myPlace({ my_pledge: 'pledged' }, mine)).toBe('holding');
    expect(myPlace({ my_pledge: 'pledged' }, { ...mine, stand_in: true })).toBe('looking');
    expect(myPlace({ my_pledge: 'pledged' }, { ...mine, stand_in: true, handed_over_to: 'Ben' })).toBe('handed-over');
    expect(myPlace({ my_pledge: 'done' }, { ...mine, state: 'done' })).toBe('done');
    expect(myPlace({ my_pledge: 'withdrawn' }, mine)).toBe('none');
    expect(myPlace({ my_pledge: null }, null)).toBe('none');
  });
});
