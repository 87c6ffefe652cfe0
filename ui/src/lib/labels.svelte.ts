// Names in the member's language: default sectors and catalogue skills are translated; what
// a community named itself is shown as written.

import { app } from './app.svelte';
import { cache } from './cache';
import { hasDefaultName } from './catalogue';
import { formatList, humanize } from './format';
import type { ReasonContext } from './reasons';
import { settings, t } from './settings.svelte';
import type { Sector } from './types';

export const basics = $state({ sectors: [] as Sector[], guilds: [] as import('./types').Guild[] });

export function sectorLabel(s: Pick<Sector, 'id' | 'name'>): string {
  return hasDefaultName(s) ? t(`sectors.${s.id}`) : s.name;
}

export function sectorById(id: string): string {
  const s = basics.sectors.find((x) => x.id === id);
  return s ? sectorLabel(s) : humanize(id);
}

export function guildName(id: string | null): string | null {
  if (!id) return null;
  return basics.guilds.find((g) => g.id === id)?.name ?? null;
}

export function skillLabel(slug: string): string {
  const key = `skills.${slug}`;
  const v = t(key);
  return v === key ? humanize(slug) : v;
}

/** A sector named in the matcher's facts (its name, any case), as words in a sentence. */
export function sectorInSentence(name: string): string {
  const s = basics.sectors.find((x) => x.name.toLowerCase() === name.toLowerCase());
  const label = s ? sectorLabel(s) : name;
  return label.toLocaleLowerCase(settings.lang);
}

export function reasonContext(): ReasonContext {
  return {
    skill: skillLabel,
    sector: sectorInSentence,
    list: (items) => formatList(settings.lang, items),
  };
}

function showSectors(sectors: Sector[]): void {
  basics.sectors = [...sectors].sort((a, b) => a.order - b.order);
}

/** Keeps `basics` to the community's sectors and guilds while the app shows it. */
export function watchBasics(community: string): () => void {
  const stops = [
    cache.watch({ op: 'sectors', community }, 'sectors', (s) => s.data && showSectors(s.data)),
    cache.watch({ op: 'guilds', community }, 'guilds', (s) => s.data && (basics.guilds = s.data)),
  ];
  return () => stops.forEach((stop) => stop());
}

/** `basics` for the current community now (read only if the cache does not hold it). */
export async function loadBasics(): Promise<void> {
  if (!app.community) return;
  try {
    const [sectors, guilds] = await Promise.all([
      cache.read({ op: 'sectors', community: app.community }, 'sectors'),
      cache.read({ op: 'guilds', community: app.community }, 'guilds'),
    ]);
    showSectors(sectors);
    basics.guilds = guilds;
  } catch {
    /* the screens show their own errors */
  }
}
