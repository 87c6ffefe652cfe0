import { describe, expect, it } from 'vitest';
import { navOf, parseRoute, routeHash, type Route } from './route';

describe('routes', () => {
  const routes: Route[] = [
    { name: 'board' },
    { name: 'task', id: 'k3j2abcd' },
    { name: 'task-new' },
    { name: 'task-edit', id: 'k3j2abcd' },
    { name: 'foryou' },
    { name: 'hours' },
    { name: 'community' },
    { name: 'neighbours' },
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
  });
  it('a notice to answer is an address on the Neighbours screen', () => {
    expect(routeHash({ name: 'neighbours', notice: 'n7need' })).toBe('#/neighbours/notice/n7need');
    expect(parseRoute('#/neighbours/notice')).toEqual({ name: 'neighbours' });
    expect(navOf({ name: 'neighbours', notice: 'n7need' })).toBe('neighbours');
  });
  it('task pages belong to the board in the nav', () => {
    expect(navOf({ name: 'task', id: 'x' })).toBe('board');
    expect(navOf({ name: 'hours' })).toBe('hours');
  });
});
