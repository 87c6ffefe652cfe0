import { describe, expect, it } from 'vitest';
import { checkSector, formOf, newSectorId, totalBaseline } from './sectors';
import type { Sector } from './types';

const sector = (id: string, name: string, hours: number, extra: Partial<Sector> = {}): Sector => ({
  id,
  name,
  essential: true,
  baseline: hours * 60,
  order: 0,
  archived: false,
  ...extra,
});
const SECTORS = [
  sector('food', 'Food', 20),
  sector('care', 'Care', 20),
  sector('arts', 'Arts & culture', 50, { essential: false }),
  sector('transport', 'Transport', 20, { archived: true }),
];

describe('the sectors form', () => {
  it('changes an existing sector: name, baseline in hours, essential', () => {
    const r = checkSector({ name: ' Food & land ', baseline: '25,5', essential: false }, 'food', SECTORS);
    expect(r).toEqual({ ok: true, value: { sector: 'food', name: 'Food & land', baseline: 25 * 60 + 30, essential: false } });
  });

  it('gives a new sector an id made from its name', () => {
    const r = checkSector({ name: 'Water & energy', baseline: '10', essential: true }, null, SECTORS);
    expect(r).toEqual({ ok: true, value: { sector: 'water-energy', name: 'Water & energy', baseline: 600, essential: true } });
    expect(newSectorId('x'.repeat(70))).toBe('x'.repeat(40));
  });

  it('refuses a new sector that is already there, by id or by name', () => {
    const byName = checkSector({ name: 'arts & CULTURE', baseline: '5', essential: false }, null, SECTORS);
    expect(byName.ok).toBe(false);
    if (!byName.ok) expect(byName.errors.name).toEqual({ key: 'errors.sectorExists', params: { name: 'Arts & culture' } });
    const byId = checkSector({ name: 'Care!', baseline: '5', essential: false }, null, SECTORS);
    expect(byId.ok).toBe(false);
  });

  it('lets a retired sector come back under its name', () => {
    const r = checkSector({ name: 'Transport', baseline: '20', essential: true }, null, SECTORS);
    expect(r.ok && r.value.sector).toBe('transport');
  });

  it('says what is wrong with each field and sends nothing', () => {
    const r = checkSector({ name: '  ', baseline: 'lots', essential: false }, null, SECTORS);
    expect(r).toEqual({
      ok: false,
      errors: { name: { key: 'errors.sectorNameEmpty' }, baseline: { key: 'errors.baselineHours', params: { max: 1000 } } },
    });
    const digits = checkSector({ name: '2024', baseline: '1', essential: false }, null, SECTORS);
    expect(!digits.ok && digits.errors.name).toEqual({ key: 'errors.sectorNameLetter' });
    const long = checkSector({ name: 'a'.repeat(61), baseline: '1', essential: false }, 'food', SECTORS);
    expect(!long.ok && long.errors.name).toEqual({ key: 'errors.tooLong', params: { max: 60, count: 61 } });
    const big = checkSector({ name: 'Food', baseline: '1000.5', essential: false }, 'food', SECTORS);
    expect(!big.ok && big.errors.baseline?.key).toBe('errors.baselineHours');
    expect(checkSector({ name: 'Food', baseline: '0', essential: false }, 'food', SECTORS).ok).toBe(true);
  });

  it('starts from the sector as it is', () => {
    expect(formOf(sector('care', 'Care', 20.5))).toEqual({ name: 'Care', baseline: '20.5', essential: true });
  });

  it('sums the baseline of the sectors in use only', () => {
    expect(totalBaseline(SECTORS)).toBe(90 * 60);
  });
});
