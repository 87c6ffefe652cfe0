import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import { renderMsg, translate, type MessageTree, type Msg } from './i18n';
import { canSkip, findSeries, nextDays, nthOf, nthWeekday, repeatDays, repeatMsg, repeatOf, repeatsById, weekdayOf } from './series';
import type { OccurrenceInfo, Repeat } from './types';

const words = (tree: MessageTree, lang: string) => (m: Msg) => renderMsg(m, (k, p) => translate(tree, lang, k, p));
const english = words(en, 'en');
const spanish = words(es, 'es');

const weekly = (every: number, weekday: number): Repeat => ({ repeat: 'weekly', every, weekday });
const monthly = (nth: number, weekday: number): Repeat => ({ repeat: 'monthly', nth, weekday });

describe('weekdays and which one of the month, as the node counts them', () => {
  it('0 is Monday, 6 is Sunday', () => {
    expect(weekdayOf('2026-03-09')).toBe(0); // a Monday
    expect(weekdayOf('2026-03-10')).toBe(1);
    expect(weekdayOf('2026-03-15')).toBe(6);
    expect(weekdayOf('1970-01-01')).toBe(3);
    expect(weekdayOf('1969-12-29')).toBe(0);
  });
  it('the 1st–7th is the first, the 29th on the last', () => {
    expect(nthOf('2026-03-07')).toBe(1);
    expect(nthOf('2026-03-08')).toBe(2);
    expect(nthOf('2026-03-28')).toBe(4);
    expect(nthOf('2026-03-29')).toBe(5);
  });
  it('what a member left out comes from the first day', () => {
    expect(repeatOf({ kind: 'weekly', every: null, weekday: null, nth: null }, '2026-03-10')).toEqual(weekly(1, 1));
    expect(repeatOf({ kind: 'monthly', every: null, weekday: null, nth: null }, '2026-03-17')).toEqual(monthly(3, 1));
    expect(repeatOf({ kind: 'monthly', every: null, weekday: 4, nth: 5 }, '2026-03-17')).toEqual(monthly(5, 4));
  });
});

describe('a repeat in words', () => {
  it('weekly, in English', () => {
    expect(english(repeatMsg(weekly(1, 1)))).toBe('every Tuesday');
    expect(english(repeatMsg(weekly(2, 1)))).toBe('every second Tuesday');
    expect(english(repeatMsg(weekly(4, 6)))).toBe('every fourth Sunday');
    expect(english(repeatMsg(weekly(6, 0)))).toBe('every 6 weeks on Monday');
  });
  it('monthly, in English', () => {
    expect(english(repeatMsg(monthly(1, 0)))).toBe('on the first Monday of each month');
    expect(english(repeatMsg(monthly(5, 4)))).toBe('on the last Friday of each month');
  });
  it('in Spanish', () => {
    expect(spanish(repeatMsg(weekly(1, 1)))).toBe('cada martes');
    expect(spanish(repeatMsg(weekly(2, 5)))).toBe('cada dos semanas, el sábado');
    expect(spanish(repeatMsg(weekly(8, 2)))).toBe('cada 8 semanas, el miércoles');
    expect(spanish(repeatMsg(monthly(3, 3)))).toBe('el tercer jueves de cada mes');
    expect(spanish(repeatMsg(monthly(5, 4)))).toBe('el último viernes de cada mes');
  });
});

describe('the days a series comes round (the node’s rule)', () => {
  it('weekly: the first such weekday on or after the start, then every so many weeks', () => {
    // Starts on a Tuesday, every second Thursday: the 12th, the 26th, 9 April…
    expect(repeatDays(weekly(2, 3), '2026-03-10', '2026-03-10', '2026-04-10')).toEqual(['2026-03-12', '2026-03-26', '2026-04-09']);
  });
  it('weekly: counted from the start, whatever day one looks from', () => {
    expect(repeatDays(weekly(2, 3), '2026-03-10', '2026-03-20', '2026-04-10')).toEqual(['2026-03-26', '2026-04-09']);
    expect(repeatDays(weekly(1, 1), '2026-03-10', '2026-03-01', '2026-03-17')).toEqual(['2026-03-10', '2026-03-17']);
  });
  it('monthly: the nth weekday of each month, the last one too', () => {
    expect(repeatDays(monthly(1, 0), '2026-03-01', '2026-03-01', '2026-05-31')).toEqual(['2026-03-02', '2026-04-06', '2026-05-04']);
    expect(repeatDays(monthly(5, 4), '2026-01-01', '2026-01-01', '2026-03-31')).toEqual(['2026-01-30', '2026-02-27', '2026-03-27']);
    // Across a year's end.
    expect(repeatDays(monthly(2, 2), '2026-12-01', '2026-12-01', '2027-01-31')).toEqual(['2026-12-09', '2027-01-13']);
  });
  it('a fourth weekday every month has; a month may have a fifth, which the last takes', () => {
    expect(nthWeekday(2026, 3, 4, 6)).toBe('2026-03-22');
    expect(nthWeekday(2026, 3, 5, 6)).toBe('2026-03-29');
    expect(nthWeekday(2026, 2, 5, 6)).toBe('2026-02-22');
  });
  it('nothing before the start or after the end of the window', () => {
    expect(repeatDays(weekly(1, 1), '2026-03-20', '2026-03-01', '2026-03-19')).toEqual([]);
    expect(repeatDays(monthly(1, 0), '2026-03-03', '2026-03-03', '2026-03-31')).toEqual([]);
  });
  it('the next few days, within the end, skipped ones left out', () => {
    expect(nextDays(weekly(1, 1), '2026-03-10', '2026-03-10', 3)).toEqual(['2026-03-10', '2026-03-17', '2026-03-24']);
    expect(nextDays(weekly(1, 1), '2026-03-10', '2026-03-10', 3, '2026-03-20')).toEqual(['2026-03-10', '2026-03-17']);
    expect(nextDays(weekly(1, 1), '2026-03-10', '2026-03-10', 2, null, ['2026-03-17'])).toEqual(['2026-03-10', '2026-03-24']);
    expect(nextDays(monthly(5, 4), '2026-03-10', '2026-03-10', 13)).toHaveLength(13);
  });
});

describe('series on the board', () => {
  const list = [
    { series: { id: 'abcd1234', repeat: weekly(1, 1) } },
    { series: { id: 'abce5678', repeat: monthly(5, 4) } },
  ];
  it('found by id or by the start of it', () => {
    expect(findSeries(list, 'abce5678')?.series.id).toBe('abce5678');
    expect(findSeries(list, 'abcd')?.series.id).toBe('abcd1234');
    expect(findSeries(list, 'zzzz')).toBeNull();
  });
  it('their repeats by id, for the words beside each day', () => {
    const m = repeatsById(list as never);
    expect(m.get('abce5678')).toEqual(monthly(5, 4));
  });
  it('a day can be skipped while it is open and not past', () => {
    const o = (on: string, open = true): OccurrenceInfo => ({ task: 't', on, taken: 0, slots: 1, open, detached: false });
    expect(canSkip(o('2026-03-10'), '2026-03-10')).toBe(true);
    expect(canSkip(o('2026-03-09'), '2026-03-10')).toBe(false);
    expect(canSkip(o('2026-03-17', false), '2026-03-10')).toBe(false);
  });
});
