// A recurring task's card and edit form, rendered as HTML: what each shows and the hooks the
// end-to-end tests and assistive technology rely on.
import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { afterEach, describe, expect, it } from 'vitest';
import { settings } from '../lib/settings.svelte';
import type { SeriesInfo } from '../lib/types';
import SeriesCard from './SeriesCard.svelte';
import SeriesEditForm from './SeriesEditForm.svelte';

const html = <P extends Record<string, unknown>>(c: Component<P>, props: P): string =>
  render(c as Component<Record<string, unknown>>, { props }).body.replace(/<!--[^>]*-->/g, '');
const text = (s: string) => s.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
function textOf(out: string, testid: string): string {
  const m = new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)</(p|li|span|div)>`).exec(out);
  return text(m?.[1] ?? '');
}

const info: SeriesInfo = {
  community: 'c1',
  when: 'every 2 weeks on Tuesday',
  series: {
    id: 's7series',
    title: 'Soup kitchen',
    description: 'Cook for thirty',
    sector: 'food',
    guild: null,
    skills: ['cooking'],
    hours: 180,
    slots: 3,
    urgency: 'soon',
    location: 'The hall',
    repeat: { repeat: 'weekly', every: 2, weekday: 1 },
    starts: '2026-03-03',
    until: '2026-06-30',
    ahead_days: 28,
    skipped: ['2026-03-17'],
    created_by: 'm1',
    created_at: 0,
  },
  coming: [
    { task: 't1', on: '2026-03-10', taken: 1, slots: 3, open: true, detached: false },
    { task: 't2', on: '2026-03-17', taken: 0, slots: 3, open: false, detached: false },
    { task: 't3', on: '2026-03-24', taken: 3, slots: 3, open: true, detached: true },
  ],
};

afterEach(() => {
  settings.lang = 'en';
});

describe('a recurring task', () => {
  it('says when it comes round, from when and until when', () => {
    const out = html(SeriesCard, { info, today: '2026-03-10' });
    expect(out).toContain('data-series-id="s7series"');
    expect(out).toContain('href="#/series/s7series"');
    expect(textOf(out, 'series-when')).toBe('Comes round every second Tuesday · from Mar 3, 2026 · until Jun 30, 2026');
    expect(out).toContain('each day goes on the board 28 days ahead');
  });
  it('lists its coming days with their places, each linking to its task', () => {
    const out = html(SeriesCard, { info, today: '2026-03-10' });
    expect(out.match(/data-testid="series-day"/g)).toHaveLength(3);
    expect(out).toContain('data-date="2026-03-10" data-task-id="t1" data-open="true"');
    expect(out).toContain('href="#/task/t3"');
    expect(out).toContain('2 of 3 places free');
    expect(out).toContain('skipped or closed');
    expect(out).toContain('changed by hand');
  });
  it('offers to skip only open days, naming the day for screen readers', () => {
    const out = html(SeriesCard, { info, today: '2026-03-10' });
    expect(out.match(/data-testid="series-skip"/g)).toHaveLength(2);
    expect(out).toContain('Skip this day<span class="sr-only">: Mar 10, 2026</span>');
    const later = html(SeriesCard, { info, today: '2026-03-11' });
    expect(later.match(/data-testid="series-skip"/g)).toHaveLength(1);
  });
  it('in Spanish', () => {
    settings.lang = 'es';
    const out = html(SeriesCard, { info, today: '2026-03-10' });
    expect(textOf(out, 'series-when')).toMatch(/^Se repite cada dos semanas, el martes · desde el 3 mar 2026/);
  });
});

describe('its edit form', () => {
  it('starts from the series, says that pledges stay, and labels every field', () => {
    const out = html(SeriesEditForm, { series: info.series, ondone: () => undefined });
    expect(textOf(out, 'series-edit-help')).toBe(
      'Your changes apply to its coming days that nobody changed by hand. Pledges people have made stay as they are.',
    );
    expect(out).toMatch(/data-testid="series-title-input"/);
    expect(out).toContain('value="Soup kitchen"');
    expect(out).toContain('value="3"');
    expect(out).toContain('value="2026-06-30"');
    for (const f of ['title', 'description', 'hours', 'slots', 'location', 'until'])
      expect(out).toContain(`<label for="series-s7series-${f}"`);
    expect(out).toMatch(/value="soon"[^>]*checked/);
  });
});
