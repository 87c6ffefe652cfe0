import { describe, expect, it } from 'vitest';
import { addDays, clockOf, daysBetween, hoursOf, isDate, monthsUpTo, parseClock, parseHours, slugify, todayStr } from './format';

describe('parseHours reads hours as people type them, like the node', () => {
  it.each([
    ['2', 120],
    ['1.5', 90],
    ['1,5', 90],
    ['0.25', 15],
    ['.5', 30],
    ['0.1', 6],
    ['1h30', 90],
    ['1h', 60],
    ['1 h 30 min', 90],
    ['90m', 90],
    ['45 min', 45],
    ['2 h', 120],
    ['3 hours', 180],
    ['2 horas', 120],
  ])('%s → %i minutes', (text, minutes) => {
    expect(parseHours(text)).toBe(minutes);
  });

  it.each(['', 'abc', '1.234', '-1', '1h60', 'h', '.', '1..5'])('refuses %j', (text) => {
    expect(parseHours(text)).toBeNull();
  });
});

describe('dates', () => {
  it('knows real dates from impossible ones', () => {
    expect(isDate('2026-02-28')).toBe(true);
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('2028-02-29')).toBe(true);
    expect(isDate('2026-2-1')).toBe(false);
    expect(isDate('soon')).toBe(false);
  });
  it('counts days across months and years', () => {
    expect(daysBetween('2026-12-30', '2027-01-02')).toBe(3);
    expect(daysBetween('2026-03-10', '2026-03-01')).toBe(-9);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
  it('gives the local calendar day', () => {
    expect(todayStr(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });
  it('lists months up to one, oldest first, across a year', () => {
    expect(monthsUpTo('2026-02', 4)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
  });
  it('shows minutes as hours with at most two decimals', () => {
    expect(hoursOf(90)).toBe(1.5);
    expect(hoursOf(100)).toBe(1.67);
    expect(hoursOf(0)).toBe(0);
  });
});

describe('slugify turns typed skills into the node slugs', () => {
  it.each([
    ['First aid', 'first-aid'],
    ['  bike   repair ', 'bike-repair'],
    ['sign-language!', 'sign-language'],
  ])('%j → %s', (text, slug) => expect(slugify(text)).toBe(slug));
  it('refuses what leaves no slug starting with a letter', () => {
    expect(slugify('123')).toBeNull();
    expect(slugify('!!')).toBeNull();
  });
});

describe('times of day, in minutes after midnight as the node counts them', () => {
  it('show as a clock does', () => {
    expect(clockOf(1170)).toBe('19:30');
    expect(clockOf(0)).toBe('00:00');
    expect(clockOf(1439)).toBe('23:59');
    expect(clockOf(1500)).toBe('25:00');
  });
  it.each([
    ['19:30', 1170],
    ['7:05', 425],
    ['19.30', 1170],
    ['1930', 1170],
    ['730', 450],
    ['9', 540],
    [' 00:00 ', 0],
  ])('%s → %i', (text, minutes) => expect(parseClock(text)).toBe(minutes));
  it.each(['', '24:00', '19:60', 'noon', '19:3', '-1'])('%j is not a time of day', (text) => expect(parseClock(text)).toBeNull());
});
