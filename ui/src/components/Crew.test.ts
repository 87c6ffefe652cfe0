// A crew's card and its form, rendered as HTML: what each shows and the hooks the end-to-end
// tests and assistive technology rely on.
import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import { settings } from '../lib/settings.svelte';
import type { CrewInfo } from '../lib/types';
import CrewCard from './CrewCard.svelte';
import CrewForm from './CrewForm.svelte';

const html = <P extends Record<string, unknown>>(c: Component<P>, props: P): string =>
  render(c as Component<Record<string, unknown>>, { props }).body.replace(/<!--[^>]*-->/g, '');
const text = (s: string) => s.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
function textOf(out: string, testid: string): string {
  const m = new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)</(p|li|span|div)>`).exec(out);
  return text(m?.[1] ?? '');
}

const crew: CrewInfo = {
  community: 'c1',
  id: 'k7crew',
  name: 'Tuesday tea',
  purpose: 'Look after each other',
  open: false,
  created_at: 0,
  rhythm: { repeat: { repeat: 'weekly', every: 2, weekday: 1 }, starts: '2026-03-03', time: 1170, minutes: 90, place: 'The library' },
  when: 'every 2 weeks on Tuesday at 19:30',
  next_meeting: '2026-03-17',
  review: '2026-03-01',
  review_due: true,
  ended: false,
  members: [
    { member: 'ana', name: 'Ana' },
    { member: 'bo', name: 'Bo' },
  ],
  waiting: [{ member: 'cy', name: 'Cy' }],
  invited: [],
  mine: true,
  waiting_for_place: false,
  may_join: false,
  max: 7,
  notes: [],
  tasks: [],
};

afterEach(() => {
  settings.lang = 'en';
});

describe('a crew in the list', () => {
  it('its next meeting, how often it meets and where, linking to its page', () => {
    const out = html(CrewCard, { crew, today: '2026-03-10' });
    expect(out).toContain('data-crew-id="k7crew"');
    expect(out).toContain('href="#/crew/k7crew"');
    expect(out).toMatch(/data-testid="crew-next" data-date="2026-03-17"/);
    expect(textOf(out, 'crew-next')).toBe('Next meeting: Mar 17, 2026 at 19:30');
    expect(textOf(out, 'crew-when')).toBe('Meets every second Tuesday at 19:30 · 1.5 h · The library');
  });
  it('who is in it, who waits, that its review has come; mine to leave', () => {
    const out = html(CrewCard, { crew, today: '2026-03-10' });
    expect(textOf(out, 'crew-members')).toBe('2 of 7 people: Ana, Bo');
    expect(textOf(out, 'crew-waiting')).toBe('Waiting for a place: Cy');
    expect(out).toContain('data-testid="crew-review-due"');
    expect(out).toContain('by invitation');
    expect(out).toContain('data-testid="crew-leave"');
    expect(out).not.toContain('data-testid="crew-join"');
  });
  it('one to join, in Spanish', () => {
    settings.lang = 'es';
    const out = html(CrewCard, { crew: { ...crew, mine: false, may_join: true, review_due: false }, today: '2026-03-10' });
    expect(out).toContain('data-testid="crew-join"');
    expect(textOf(out, 'crew-when')).toBe('Se reúne cada dos semanas, el martes a las 19:30 · 1,5 h · The library');
  });
});

describe('the crew form', () => {
  it('to change a crew starts from what it is, every field labelled', () => {
    const out = html(CrewForm, { crew, ondone: () => undefined });
    expect(out).toMatch(/<input[^>]*value="Tuesday tea"[^>]*data-testid="crew-name-input"/);
    expect(out).toMatch(/<input[^>]*value="19:30"[^>]*data-testid="crew-time"/);
    expect(textOf(out, 'crew-rhythm-preview')).toBe('It meets every second Tuesday at 19:30.');
    for (const id of ['name', 'purpose', 'every', 'weekday', 'time', 'minutes', 'place', 'starts', 'review'])
      expect(out).toContain(`for="crew-k7crew-${id}"`);
  });
  it('to start one asks for no rhythm until one is chosen', () => {
    const out = html(CrewForm, { ondone: () => undefined });
    expect(out).toContain('data-testid="crew-rhythm-none"');
    expect(out).not.toContain('data-testid="crew-time"');
    expect(out).toContain('Start the crew');
  });
});
