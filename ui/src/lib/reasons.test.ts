import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import { renderMsg, translate, type MessageTree } from './i18n';
import { needReasonParts, needReasonTone, orderedNeedReasons, orderedReasons, reasonParts, reasonTone, type ReasonContext } from './reasons';
import type { Feature, NeedFacts, NeedReason, NeedSuggestion, Reason, Suggestion } from './types';

const ctx: ReasonContext = {
  skill: (s) => s.replace(/-/g, ' '),
  sector: (name) => name.toLowerCase(),
  list: (items) => new Intl.ListFormat('en', { type: 'conjunction' }).format(items),
};

function say(r: Reason, minutes = 60, messages: MessageTree = en, locale = 'en', c = ctx): string {
  return reasonParts(r, c, minutes)
    .map((m) => renderMsg(m, (k, p) => translate(messages, locale, k, p, en)))
    .join('; ');
}

const reason = (facts: Reason['facts'], points = 10, term = facts.kind as Reason['term']): Reason => ({
  term,
  points,
  facts,
  text: 'English from the node, not shown',
});

describe('reasons are worded from their facts', () => {
  it('the plan', () => {
    expect(say(reason({ kind: 'plan' }, 0))).toBe("your part of this week's community plan");
  });
  it('skills known, to learn and missing', () => {
    const r = reason({ kind: 'skill', known: [['gardening', 4]], learning: ['beekeeping'], missing: ['first-aid', 'cooking'] });
    expect(say(r)).toBe(
      'you know gardening (4/5); a chance to learn beekeeping, as you wanted; asks for first aid and cooking, not in your profile',
    );
    expect(say(reason({ kind: 'skill', known: [], learning: [], missing: [] }))).toBe('no special skills needed');
  });
  it('interest, at every level and unknown', () => {
    expect(say(reason({ kind: 'interest', sector: 'Food', level: 4 }))).toBe('you like food a lot (4/5)');
    expect(say(reason({ kind: 'interest', sector: 'Food', level: 0 }))).toBe("you said food doesn't interest you (0/5)");
    expect(say(reason({ kind: 'interest', sector: 'Food', level: null }))).toBe("you haven't said how you feel about food");
  });
  it('rotation, in hours', () => {
    const r = reason({ kind: 'rotation', sector: 'Healthcare', done: 90, baseline: 1200, expected: 600, total: 3000, total_expected: 4500 });
    expect(say(r)).toBe(
      "you've done 1.5 h of healthcare this year against a 20 h baseline (10 h by now at a steady pace); 50 h in all sectors against 75 h by now",
    );
  });
  it("the sector's month", () => {
    expect(say(reason({ kind: 'sector', sector: 'Food', percent: 42, month_percent: 60 }))).toBe(
      "the food sector is at 42% of this month's goal, with 60% of the month gone",
    );
  });
  it('urgency with places, waiting and deadline', () => {
    const r = reason({ kind: 'urgency', stand_ins: 0, urgency: 'urgent', free: 1, slots: 3, waiting_days: 1, deadline_days: 2 });
    expect(say(r)).toBe('urgent, 1 of 3 places still open; waiting 1 day; deadline in 2 days');
    const late = reason({ kind: 'urgency', stand_ins: 0, urgency: 'normal', free: 2, slots: 2, waiting_days: 0, deadline_days: -1 });
    expect(say(late)).toBe('not urgent, 2 of 2 places still open; its deadline has passed');
    const far = reason({ kind: 'urgency', stand_ins: 0, urgency: 'soon', free: 1, slots: 1, waiting_days: 0, deadline_days: 30 });
    expect(say(far)).toBe('needed soon, 1 of 1 place still open');
  });
  it('load: the week, and balance after a heavy month (lighter tasks only when short)', () => {
    const same = reason({ kind: 'load', after: 240, week: 300, heavy_sector: 'food', heavy_minutes: 600, same_sector: true }, -50);
    expect(say(same)).toBe(
      'this would bring your week to 4 h of your 5 h; you gave 10 h to food in the last four weeks — time for something else?',
    );
    const other = reason({ kind: 'load', after: 240, week: 300, heavy_sector: 'food', heavy_minutes: 600, same_sector: false });
    expect(say(other, 60)).toBe('this would bring your week to 4 h of your 5 h; a lighter task in another sector after 10 h of food');
    expect(say(other, 180)).toBe('this would bring your week to 4 h of your 5 h');
  });
  it('learned preferences, whatever the feature', () => {
    const food = { kind: 'sector', sector: 'food', name: 'Food' } as const;
    expect(say(reason({ kind: 'learned', feature: food, liked: 3, disliked: 0 }, 40))).toBe(
      'you took or enjoyed food tasks before (3 times)',
    );
    const halfDay = { kind: 'size', size: 'half_day' } as const;
    expect(say(reason({ kind: 'learned', feature: halfDay, liked: 0, disliked: 1 }, -40))).toBe(
      'you said “not for me”, “too hard” or “not again” to half-day tasks before (1 time)',
    );
  });
  it('travel', () => {
    expect(say(reason({ kind: 'travel', community: 'Hillside' }))).toBe(
      'a call from Hillside, open to neighbours — you like to travel',
    );
  });
  it('a gathering the member is coming to', () => {
    const r = reason({ kind: 'gathering', title: 'Harvest weekend' });
    expect(say(r)).toBe("a task of Harvest weekend, which you're coming to");
    expect(say(r, 60, es, 'es')).toBe('una tarea del encuentro «Harvest weekend», al que vas a ir');
  });
  it('in Spanish, with the Spanish number format', () => {
    const r = reason({ kind: 'rotation', sector: 'Food', done: 90, baseline: 1200, expected: 600, total: 3000, total_expected: 4500 });
    const esCtx = { ...ctx, sector: () => 'alimentación' };
    expect(say(r, 60, es, 'es', esCtx)).toBe(
      'llevas 1,5 h de alimentación este año frente a una referencia de 20 h (10 h a estas alturas a ritmo constante); 50 h en todos los sectores frente a 75 h a estas alturas',
    );
    const u = reason({ kind: 'urgency', stand_ins: 0, urgency: 'urgent', free: 1, slots: 3, waiting_days: 4, deadline_days: null });
    expect(say(u, 60, es, 'es')).toBe('urgente, libres: 1 de 3 plazas; esperando desde hace 4 días');
  });
});

describe('the learned feature, worded from its typed facts', () => {
  const learned = (feature: Feature) => reason({ kind: 'learned', feature, liked: 2, disliked: 0 }, 40);
  const garden = 'aaaaaaaaaaaaaaaaaaaa';
  it.each<[Feature, string, string]>([
    [{ kind: 'size', size: 'short' }, 'short tasks (up to 2 h)', 'tareas cortas (hasta 2 h)'],
    [{ kind: 'size', size: 'half_day' }, 'half-day tasks', 'tareas de media jornada'],
    [{ kind: 'size', size: 'long' }, 'long tasks (over 5 h)', 'tareas largas (más de 5 h)'],
    [{ kind: 'guild', guild: garden, name: 'Community garden' }, 'tasks of the Community garden guild', 'tareas del gremio Community garden'],
    [
      { kind: 'skills', skills: ['gardening', 'composting', 'first-aid'] },
      'tasks asking for gardening, composting, and first aid',
      'tareas que piden gardening, composting, and first aid',
    ],
    [
      { kind: 'sector', sector: 'maintenance', name: 'Maintenance & infrastructure' },
      'maintenance & infrastructure tasks',
      'tareas de maintenance & infrastructure',
    ],
  ])('%j', (feature, english, spanish) => {
    expect(say(learned(feature))).toBe(`you took or enjoyed ${english} before (2 times)`);
    expect(say(learned(feature), 60, es, 'es')).toContain(spanish);
  });
});

describe('tone and order', () => {
  it('plan first, then by weight either way, stable among equals', () => {
    const s = {
      reasons: [
        reason({ kind: 'skill', known: [], learning: [], missing: [] }, 10),
        reason({ kind: 'interest', sector: 'Food', level: 2 }, -80),
        reason({ kind: 'sector', sector: 'Food', percent: 1, month_percent: 1 }, 10),
        reason({ kind: 'plan' }, 0),
      ],
    } as Suggestion;
    expect(orderedReasons(s).map((r) => r.term)).toEqual(['plan', 'interest', 'skill', 'sector']);
    expect(s.reasons.map(reasonTone)).toEqual(['for', 'against', 'for', 'for']);
    expect(reasonTone(reason({ kind: 'travel', community: 'x' }, 0))).toBe('neutral');
  });
});

describe("a neighbour's need, worded from its facts", () => {
  const need = (facts: NeedFacts, points = 100): NeedReason => ({ points, facts, text: 'English from the node, not shown' });
  const say = (r: NeedReason, messages: MessageTree = en, locale = 'en', c = ctx) =>
    needReasonParts(r, c)
      .map((m) => renderMsg(m, (k, p) => translate(messages, locale, k, p, en)))
      .join('; ');
  const esCtx: ReasonContext = { ...ctx, list: (items) => new Intl.ListFormat('es', { type: 'conjunction' }).format(items) };
  it.each<[NeedFacts, string, string]>([
    [
      { kind: 'skill', skills: [['carpentry', 3], ['first-aid', 4]] },
      'it asks for carpentry (3/5) and first aid (4/5), which you know',
      'pide carpentry (3/5) y first aid (4/5), y tú sabes',
    ],
    [{ kind: 'interest', sector: 'Food', level: 5 }, 'you love food (5/5)', 'te encanta food (5/5)'],
    [{ kind: 'hours', sector: 'Healthcare', minutes: 450 }, 'you gave 7.5 h to healthcare this year', 'has dado 7,5 h a healthcare este año'],
    [{ kind: 'travel', community: 'Hills', willing: true }, 'Hills needs it — you like to travel', 'Hills lo necesita: te gusta desplazarte'],
    [
      { kind: 'travel', community: 'Hills', willing: false },
      "Hills needs it; you haven't said you like to travel, so perhaps from where you are",
      'Hills lo necesita; no has dicho que te guste desplazarte, así que quizá desde donde estás',
    ],
  ])('%j', (facts, english, spanish) => {
    expect(say(need(facts))).toBe(english);
    expect(say(need(facts), es, 'es', esCtx)).toBe(spanish);
  });
  it('weighs most first, either way; travel for nothing is neutral', () => {
    const n = {
      reasons: [
        need({ kind: 'skill', skills: [['carpentry', 3]] }, 400),
        need({ kind: 'interest', sector: 'Arts', level: 0 }, -600),
        need({ kind: 'travel', community: 'Hills', willing: false }, 0),
      ],
    } as NeedSuggestion;
    expect(orderedNeedReasons(n).map((r) => r.facts.kind)).toEqual(['interest', 'skill', 'travel']);
    expect(n.reasons.map(needReasonTone)).toEqual(['for', 'against', 'neutral']);
  });
});
