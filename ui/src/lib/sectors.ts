// The community's sectors as its members edit them together: each one's yearly baseline per
// member (a guideline, never a quota), which are essential, and a new sector's id. The limits
// are weft-core's; a form with any error sends nothing.

import { LIMITS } from './contract';
import { msg } from './i18n';
import { hoursOf, parseHours, slugify } from './format';
import type { Minutes, Sector, SectorId } from './types';
import { required, type Checked, type Errors } from './validate';

export const SECTOR_NAME_MAX = LIMITS.sectorName;
export const BASELINE_MAX_HOURS = LIMITS.baselineMinutesMax / 60;

export interface SectorForm {
  name: string;
  /** Hours a year, as typed. */
  baseline: string;
  essential: boolean;
}

export type SectorField = 'name' | 'baseline';

export interface SectorChange {
  sector: SectorId;
  name: string;
  baseline: Minutes;
  essential: boolean;
}

/** The id a new sector named `name` gets: its slug, cut to the 40 characters an id may have. */
export function newSectorId(name: string): SectorId | null {
  const cut = [...name.trim()].slice(0, 40).join('');
  return slugify(cut);
}

/**
 * Checks a sector form. `editing` is the sector being changed, or null for a new one, which
 * must not take the id of a sector already in use. (A retired sector's id may be taken: the
 * sector comes back, with its history.)
 */
export function checkSector(
  form: SectorForm,
  editing: SectorId | null,
  sectors: readonly Sector[],
): Checked<SectorChange, SectorField> {
  const errors: Errors<SectorField> = {};
  const name = form.name.trim();
  let id: SectorId | null = editing;
  const nameError = required(name, SECTOR_NAME_MAX, 'errors.sectorNameEmpty');
  if (nameError) errors.name = nameError;
  else if (!editing) {
    id = newSectorId(name);
    const taken = sectors.find((s) => !s.archived && (s.id === id || s.name.toLowerCase() === name.toLowerCase()));
    if (!id) errors.name = msg('errors.sectorNameLetter');
    else if (taken) errors.name = msg('errors.sectorExists', { name: taken.name });
  }
  const minutes = parseHours(form.baseline);
  if (minutes === null || minutes > BASELINE_MAX_HOURS * 60)
    errors.baseline = msg('errors.baselineHours', { max: BASELINE_MAX_HOURS });
  return Object.keys(errors).length || !id || minutes === null
    ? { ok: false, errors }
    : { ok: true, value: { sector: id, name, baseline: minutes, essential: form.essential } };
}

/** The form for an existing sector, as it is now. */
export function formOf(s: Sector): SectorForm {
  return { name: s.name, baseline: String(hoursOf(s.baseline)), essential: s.essential };
}

/** The yearly baseline of the sectors in use, summed: the default community's is 150 h. */
export function totalBaseline(sectors: readonly Sector[]): Minutes {
  return sectors.filter((s) => !s.archived).reduce((sum, s) => sum + s.baseline, 0);
}
