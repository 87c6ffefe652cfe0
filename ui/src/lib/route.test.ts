import { describe, expect, it } from 'vitest';
import { navOf, parseRoute, routeHash, type Route } from './route';

describe('routes', () => {
  const routes: Route[] = [
    { name: 'board' },
    { name: 'task', id: 'k3j2abcd' },
    { name: 'task-new' },
    { name: 'task-edit', id: 'k3j2abcd' },
    { name: 'series' },
    { name: 'series', id: 's5r2abcd' },
    { name: 'foryou' },
    { name: 'hours' },
    { name: 'community' },
    { name: 'neighbours' },
    { name: 'decisions' },
    { name: 'decisions', propose: {} },
    { name: 'decisions', propose: { concern: 'f4k2abcd', task: 'k3j2abcd' } },
    { name: 'decisions', propose: { sector: 'food' } },
    { name: 'proposal', id: 'p7q2abcd' },
    { name: 'crews' },
    { name: 'crew', id: 'c4w2abcd' },
    { name: 'gatherings' },
    { name: 'gathering', id: 'g8t2abcd' },
    { name: 'neighbours', notice: 'n7needvanhills3xw5pd' },
    { name: 'peers' },
    { name: 'settings' },
    { name: 'profile' },
  ];
  it.each(routes)('%j survives a round trip through the address', (r) => {
    expect(parseRoute(routeHash(r))).toEqual(r);
  });
  it('an unknown or empty address is the board', () => {
    expect(parseRoute('')).toEqual({ name: 'board' });
    expect(parseRoute('#/nowhere')).toEqual({ name: 'board' });
    expect(parseRoute('#/task')).toEqual({ name: 'board' });
    expect(parseRoute('#/proposal')).toEqual({ name: 'decisions' });
  });
  it('a notice to answer is an address on the Neighbours screen', () => {
    expect(routeHash({ name: 'neighbours', notice: 'n7need' })).toBe('#/neighbours/notice/n7need');
    expect(parseRoute('#/neighbours/notice')).toEqual({ name: 'neighbours' });
    expect(navOf({ name: 'neighbours', notice: 'n7need' })).toBe('neighbours');
  });
  it('a proposal form keeps only what it can be about', () => {
    expect(parseRoute('#/decisions/propose/sector/food/colour/red/task')).toEqual({ name: 'decisions', propose: { sector: 'food' } });
    expect(parseRoute('#/decisions/elsewhere')).toEqual({ name: 'decisions' });
  });
  it('task pages belong to the board in the nav, proposals to decisions, crews and gatherings to theirs', () => {
    expect(navOf({ name: 'task', id: 'x' })).toBe('board');
    expect(navOf({ name: 'series', id: 'x' })).toBe('board');
    expect(navOf({ name: 'hours' })).toBe('hours');
    expect(navOf({ name: 'proposal', id: 'x' })).toBe('decisions');
    expect(navOf({ name: 'crew', id: 'x' })).toBe('crews');
    expect(navOf({ name: 'gathering', id: 'x' })).toBe('gatherings');
    expect(parseRoute('#/crew')).toEqual({ name: 'crews' });
  });
});
