// Reads a screen shows, through the app's read cache (`cache.ts`): the answer is kept fresh
// by the node's events for as long as the component that asked lives. Call these while a
// component initialises (they set up an effect).

import { untrack } from 'svelte';
import { cache } from './cache';
import type { WeftError } from './api';
import type { DataOf, Request, ResponseKind } from './types';

export interface Live<T> {
  /** The last answer (null until the first one). */
  readonly data: T | null;
  /** Why the last read failed, if it did. */
  readonly error: WeftError | null;
}

export interface LiveAll<T> {
  /** The answers, in the order of the requests (undefined until each comes). */
  readonly data: (T | undefined)[];
  /** Every answer has come. */
  readonly complete: boolean;
  readonly error: WeftError | null;
}

/**
 * The answer to `request()` (re-run when what it reads changes; null: nothing to read),
 * read again whenever the documents it depends on change.
 */
export function live<K extends ResponseKind>(kind: K, request: () => Request | null): Live<DataOf<K>> {
  const all = liveAll(kind, () => {
    const r = request();
    return r ? [r] : [];
  });
  return {
    get data() {
      return all.data[0] ?? null;
    },
    get error() {
      return all.error;
    },
  };
}

/** `live` for a list of requests of the same kind (a board of several communities, months). */
export function liveAll<K extends ResponseKind>(kind: K, requests: () => Request[]): LiveAll<DataOf<K>> {
  // Raw: answers are shared with the cache and never changed in place.
  let data = $state.raw<(DataOf<K> | undefined)[]>([]);
  let errors = $state.raw<(WeftError | null)[]>([]);
  let keys: string[] = [];

  $effect(() => {
    const list = requests();
    // Only what `requests` reads decides when to watch again; the answers do not.
    return untrack(() => {
      const next = list.map((r) => JSON.stringify(r));
      // Keep what is shown for requests that stay; start empty for new ones.
      data = next.map((k) => (keys.includes(k) ? data[keys.indexOf(k)] : undefined));
      errors = next.map(() => null);
      keys = next;
      const stops = list.map((r, i) =>
        cache.watch(r, kind, (s) => {
          if (keys[i] !== next[i]) return;
          if (s.data !== null) data = data.map((d, j) => (j === i ? (s.data ?? undefined) : d));
          errors = errors.map((e, j) => (j === i ? s.error : e));
        }),
      );
      return () => stops.forEach((stop) => stop());
    });
  });

  return {
    get data() {
      return data;
    },
    get complete() {
      return data.every((d) => d !== undefined);
    },
    get error() {
      return errors.find((e) => e !== null) ?? null;
    },
  };
}

/** When each request was last asked again by `askAgainAfter` (by its JSON). */
const askedAt = new Map<string, number>();

/**
 * Asks the node again for `request()` once `delay()` ms have passed (0: at once; null: no
 * need), for an answer that changes with time alone: a proposal's round ends with nothing
 * written, so no event tells the cache. Re-armed whenever what `delay` reads changes (a new
 * answer). The same request is asked again at most once every `gapMs`: an answer kept from
 * before a round ended is read again at once, but a node whose clock says the round is still
 * open is not asked in a loop.
 */
export function askAgainAfter(request: () => Request | null, delay: () => number | null, gapMs = 5_000): void {
  $effect(() => {
    const r = request();
    const ms = delay();
    if (!r || ms === null) return;
    const key = JSON.stringify(r);
    const last = askedAt.get(key);
    const wait = Math.max(ms, last === undefined ? 0 : last + gapMs - Date.now());
    const timer = setTimeout(() => {
      askedAt.set(key, Date.now());
      cache.refresh(r);
    }, wait);
    return () => clearTimeout(timer);
  });
}

/** The time (ms), moved on every `everyMs` while the component lives: "closes in …" stays true. */
export function ticking(everyMs: number): { readonly now: number } {
  let now = $state(Date.now());
  $effect(() => {
    const timer = setInterval(() => (now = Date.now()), everyMs);
    return () => clearInterval(timer);
  });
  return {
    get now() {
      return now;
    },
  };
}
