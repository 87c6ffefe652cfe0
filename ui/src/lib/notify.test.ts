import { describe, expect, it } from 'vitest';
import { batch, MAX_AT_ONCE, newUrgent, remember, REMEMBER } from './notify';
import type { Suggestion, Urgency } from './types';

const s = (task: string, urgency: Urgency = 'urgent'): Suggestion => ({
  task,
  title: task,
  sector: 'food',
  minutes: 60,
  urgency,
  neighbour: null,
  score: 1,
  planned: false,
  reasons: [],
});

describe('notifications for urgent tasks that fit', () => {
  it('only urgent ones, each task once', () => {
    const items = [s('a'), s('b', 'soon'), s('c')];
    expect(newUrgent(items, new Set(['a'])).map((x) => x.task)).toEqual(['c']);
  });
  it('at most a few at once, the rest summed up', () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((x) => s(x));
    const b = batch(many);
    expect(b.show).toHaveLength(MAX_AT_ONCE);
    expect(b.more).toBe(5 - MAX_AT_ONCE);
    expect(batch([s('a')])).toEqual({ show: [s('a')], more: 0 });
  });
  it('remembers what it notified, newest last, within a bound', () => {
    expect(remember(['a', 'b'], [s('a'), s('c')])).toEqual(['b', 'a', 'c']);
    const old = Array.from({ length: REMEMBER }, (_, i) => `t${i}`);
    const after = remember(old, [s('new')]);
    expect(after).toHaveLength(REMEMBER);
    expect(after[0]).toBe('t1');
    expect(after.at(-1)).toBe('new');
  });
});
