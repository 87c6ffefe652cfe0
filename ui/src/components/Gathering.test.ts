// A gathering's card, the member's answer and the forms, rendered as HTML: what each shows
// and the hooks the end-to-end tests and assistive technology rely on.
import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import { basics } from '../lib/labels.svelte';
import { settings } from '../lib/settings.svelte';
import type { GatheringInfo, Sector, TaskSummary } from '../lib/types';
import GatheringCard from './GatheringCard.svelte';
import GatheringForm from './GatheringForm.svelte';
import GatheringTaskForm from './GatheringTaskForm.svelte';

const html = <P extends Record<string, unknown>>(c: Component<P>, props: P): string =>
  render(c as Component<Record<string, unknown>>, { props }).body.replace(/<!--[^>]*-->/g, '');
const text = (s: string) => s.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
function textOf(out: string, testid: string): string {
  const m = new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)</(p|li|span|div)>`).exec(out);
  return text(m?.[1] ?? '');
}

const g: GatheringInfo = {
  community: 'c1',
  id: 'g7harvest',
  title: 'Harvest weekend',
  description: 'Bring boots',
  starts: '2099-06-13',
  ends: '2099-06-14',
  place: 'The meadow',
  cancelled: false,
  created_by: 'Ana',
  attending: [
    { member: 'ana', name: 'Ana' },
    { member: 'bo', name: 'Bo' },
  ],
  coming: true,
  tasks: [{ id: 't1' } as TaskSummary],
  open_places: 3,
};

afterEach(() => {
  settings.lang = 'en';
});

describe('a gathering in the list', () => {
  it('its days and place, who is coming, the places open, linking to its page', () => {
    const out = html(GatheringCard, { gathering: g, today: '2099-06-01' });
    expect(out).toContain('data-gathering-id="g7harvest"');
    expect(out).toContain('href="#/gathering/g7harvest"');
    expect(textOf(out, 'gathering-when')).toBe('from Jun 13, 2099 to Jun 14, 2099 · The meadow');
    expect(textOf(out, 'gathering-coming')).toBe('2 coming');
    expect(textOf(out, 'gathering-places')).toBe('3 places open on its tasks');
  });
  it('the member’s answer, the one given pressed', () => {
    const out = html(GatheringCard, { gathering: g, today: '2099-06-01' });
    expect(out).toMatch(/data-testid="gathering-answer" data-answer="coming"/);
    expect(out).toMatch(/aria-pressed="true"[^>]*data-testid="gathering-come"/);
    expect(out).toMatch(/aria-pressed="false"[^>]*data-testid="gathering-not-come"/);
  });
  it('called off: no "I\'ll come"; in Spanish', () => {
    settings.lang = 'es';
    const out = html(GatheringCard, { gathering: { ...g, cancelled: true }, today: '2099-06-01' });
    expect(out).toContain('suspendido');
    expect(out).not.toContain('data-testid="gathering-come"');
    expect(out).toContain('data-testid="gathering-not-come"');
  });
});

describe('the gathering forms', () => {
  it('to change one starts from what it is, every field labelled', () => {
    const out = html(GatheringForm, { gathering: g, ondone: () => undefined });
    expect(out).toMatch(/<input[^>]*value="Harvest weekend"[^>]*data-testid="gathering-title-input"/);
    expect(out).toMatch(/<input[^>]*value="2099-06-14"[^>]*data-testid="gathering-ends-input"/);
    for (const id of ['title', 'description', 'starts', 'ends', 'place']) expect(out).toContain(`for="gathering-g7harvest-${id}"`);
    expect(out).toContain('at most 14 days in all');
  });
  it('a task for it is due on its first day unless said', () => {
    basics.sectors = [{ id: 'food', name: 'Food', essential: true, baseline: 1200, order: 0, archived: false } as Sector];
    const out = html(GatheringTaskForm, { gathering: g, ondone: () => undefined });
    expect(out).toMatch(/<input[^>]*value="2099-06-13"[^>]*data-testid="gathering-task-deadline"/);
    expect(out).toMatch(/<option value="food"[^>]*selected/);
    for (const id of ['title', 'sector', 'hours', 'slots', 'skills', 'deadline']) expect(out).toContain(`for="gathering-task-${id}"`);
  });
});
