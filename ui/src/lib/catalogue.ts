// Skills people commonly offer in each default sector (the node's `skill_catalogue`), for the
// profile picker and the task form. Names are translated under `skills.<slug>`; a typed skill
// that is not here shows as its words.

import type { Sector, SectorId } from './types';

export const SKILL_CATALOGUE: Readonly<Record<string, readonly string[]>> = {
  food: ['gardening', 'cooking', 'food-preservation', 'composting', 'beekeeping', 'delivery-driving'],
  healthcare: ['first-aid', 'elder-care', 'childcare', 'listening', 'nursing', 'transport-logistics'],
  education: ['tutoring', 'workshop-facilitation', 'languages', 'reading-with-kids', 'mentoring'],
  maintenance: ['carpentry', 'plumbing', 'electrics', 'bike-repair', 'computer-repair', 'cleaning'],
  governance: ['facilitation', 'minute-taking', 'mediation', 'bookkeeping', 'outreach'],
  arts: ['music', 'painting', 'sound-engineering', 'writing', 'event-hosting', 'crafts'],
};

/** The default sectors' English names: a sector still named so is shown translated. */
export const DEFAULT_SECTOR_NAMES: Readonly<Record<string, string>> = {
  food: 'Food',
  healthcare: 'Healthcare',
  education: 'Education',
  maintenance: 'Maintenance & infrastructure',
  governance: 'Governance',
  arts: 'Arts, culture & innovation',
};

export function catalogueFor(sector: SectorId): readonly string[] {
  return SKILL_CATALOGUE[sector] ?? [];
}

export const ALL_CATALOGUE_SKILLS: readonly string[] = Object.values(SKILL_CATALOGUE).flat();

/** The sector a catalogue skill belongs to, if any. */
export function sectorOfSkill(skill: string): SectorId | null {
  for (const [sector, skills] of Object.entries(SKILL_CATALOGUE)) if (skills.includes(skill)) return sector;
  return null;
}

/**
 * Whether a sector keeps its default name (so the UI may show the translation) or was named
 * by the community (shown as they wrote it).
 */
export function hasDefaultName(s: Pick<Sector, 'id' | 'name'>): boolean {
  return DEFAULT_SECTOR_NAMES[s.id] === s.name;
}

const SECTOR_COLOURS = new Set(['food', 'healthcare', 'education', 'maintenance', 'governance', 'arts']);

/** The CSS colour of a sector (its own for default sectors, a shared one otherwise). */
export function sectorColour(id: SectorId): string {
  return SECTOR_COLOURS.has(id) ? `var(--sector-${id})` : 'var(--sector-other)';
}
