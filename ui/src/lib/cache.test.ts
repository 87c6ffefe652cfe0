import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WeftError } from './api';
import { depsOf, EXPECT_EVENT_MS, GATHER_MS, ReadCache, writesOf } from './cache';
import type { Request } from './types';

const C = 'riverside';
const OTHER = 'hillside';

const taskList: Request = { op: 'task_list', community: C, sector: null, open_only: true };
const taskShow: Request = { op: 'task_show', task: 'k3j2' };
const members: Request = { op: 'members', community: C };
const myHours: Request = { op: 'my_hours', community: C, year: null };
const peers: Request = { op: 'peers' };
const suggest: Request = { op: 'suggest', community: C, member: null, limit: 12 };
const pledge: Request = { op: 'pledge', task: 'k3j2', action: 'pledge' };

const changed = (doc: string, community = C) => ({ event: 'document_changed', community, doc });

/** A node that answers every request, by hand (`answer`) or at once (`auto`). */
function fakeNode() {
  const sent: Request[] = [];
  const waiting: { request: Request; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  let version = 0;
  const node = {
    sent,
    waiting,
    auto: true,
    /** Bumped to tell answers apart. */
    change: () => version++,
    answerFor: (r: Request): unknown =>
      r.op === 'task_show' ? { id: 'k3j2', community: C, version } : { op: r.op, version },
    send: (request: Request) => {
      sent.push(request);
      if (node.auto) return Promise.resolve(node.answerFor(request));
      return new Promise((resolve, reject) => waiting.push({ request, resolve, reject }));
    },
    /** Answers the oldest request still waiting. */
    answer() {
      const w = waiting.shift();
      if (!w) throw new Error('nothing is waiting');
      w.resolve(node.answerFor(w.request));
    },
    ops: () => sent.map((r) => r.op),
  };
  return node;
}

/** Lets promises and microtasks run (and timers up to `ms`). */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('the read cache', () => {
  let node: ReturnType<typeof fakeNode>;
  let cache: ReadCache;
  beforeEach(() => {
    vi.useFakeTimers();
    node = fakeNode();
    cache = new ReadCache(node.send);
  });
  afterEach(() => vi.useRealTimers());

  it('serves a kept answer without asking the node again', async () => {
    const a = await cache.read(taskList, 'tasks');
    const b = await cache.read(taskList, 'tasks');
    expect(b).toBe(a);
    expect(node.sent).toHaveLength(1);
  });

  it('lets identical reads at the same time share one request', async () => {
    node.auto = false;
    const reads = [cache.read(taskList, 'tasks'), cache.read(taskList, 'tasks')];
    let shown = 0;
    const stop = cache.watch(taskList, 'tasks', () => shown++);
    expect(node.sent).toHaveLength(1);
    node.answer();
    const [a, b] = await Promise.all(reads);
    expect(a).toBe(b);
    expect(shown).toBe(1);
    stop();
  });

  it('keys reads by the whole request', async () => {
    await cache.read(taskList, 'tasks');
    await cache.read({ ...taskList, open_only: false }, 'tasks');
    expect(node.sent).toHaveLength(2);
  });

  it("invalidates only the answers that depend on the changed document", async () => {
    await cache.read(taskList, 'tasks');
    await cache.read(members, 'members');
    await cache.read(myHours, 'hours');
    cache.event(changed('board'));
    await cache.read(taskList, 'tasks');
    await cache.read(members, 'members');
    await cache.read(myHours, 'hours');
    expect(node.ops()).toEqual(['task_list', 'members', 'my_hours', 'task_list']);

    cache.event(changed('ledger/2026'));
    cache.event(changed('people', OTHER));
    await cache.read(taskList, 'tasks');
    await cache.read(members, 'members');
    await cache.read(myHours, 'hours');
    expect(node.ops().slice(4)).toEqual(['my_hours']);
  });

  it("reads a shown answer again after an event, once for a burst, and forgets one not shown", async () => {
    const shown: unknown[] = [];
    const stop = cache.watch(taskList, 'tasks', (s) => shown.push(s.data));
    await cache.read(members, 'members');
    await tick();
    expect(shown).toHaveLength(1);
    node.change();
    // A peer's sync brings several documents at once: gathered into one read.
    cache.event(changed('board'));
    cache.event(changed('people'));
    cache.event(changed('board'));
    expect(cache.busy()).toBe(true);
    await tick(GATHER_MS);
    expect(node.ops()).toEqual(['task_list', 'members', 'task_list']);
    expect(shown).toHaveLength(2);
    expect(shown[1]).toEqual({ op: 'task_list', version: 1 });
    expect(cache.busy()).toBe(false);
    // members was not on screen: forgotten, read when next asked for.
    expect(cache.size).toBe(1);
    await cache.read(members, 'members');
    expect(node.ops()).toHaveLength(4);
    stop();
  });

  it('reads a task again only for its own community', async () => {
    await cache.read(taskShow, 'task');
    cache.event(changed('board', OTHER));
    await cache.read(taskShow, 'task');
    expect(node.sent).toHaveLength(1);
    cache.event(changed('ledger/2025'));
    await cache.read(taskShow, 'task');
    expect(node.sent).toHaveLength(2);
  });

  it("reads suggestions again on any document, and the network's answer only on network events", async () => {
    await cache.read(suggest, 'suggestions');
    await cache.read(peers, 'peers');
    cache.event(changed('people', OTHER));
    cache.event({ event: 'network_changed' });
    await cache.read(suggest, 'suggestions');
    await cache.read(peers, 'peers');
    expect(node.ops()).toEqual(['suggest', 'peers', 'suggest', 'peers']);
    cache.event(changed('board'));
    await cache.read(peers, 'peers');
    expect(node.sent).toHaveLength(4);
  });

  it('shows the devices again at once when a computer asks with the pairing code, and on any people document', async () => {
    const devices: Request = { op: 'devices' };
    let shown = 0;
    const stop = cache.watch(devices, 'devices', () => shown++);
    await tick();
    expect(shown).toBe(1);
    // At once: a person waits for the words.
    cache.event({ event: 'devices_changed' });
    await tick();
    expect(node.ops()).toEqual(['devices', 'devices']);
    cache.event(changed('board'));
    cache.event({ event: 'network_changed' });
    await tick(GATHER_MS);
    expect(node.sent).toHaveLength(2);
    // A device record written by a peer (a computer linked, a key revoked).
    cache.event(changed('people', OTHER));
    await tick(GATHER_MS);
    expect(node.sent).toHaveLength(3);
    expect(shown).toBe(3);
    stop();
    // Nothing else depends on the pairing.
    await cache.read(peers, 'peers');
    cache.event({ event: 'devices_changed' });
    await cache.read(peers, 'peers');
    expect(node.ops()).toEqual(['devices', 'devices', 'devices', 'peers']);
  });

  it("shows neighbours' calls again when any commons changes (a neighbour's too), not on the board", async () => {
    const calls: Request = { op: 'calls', community: C };
    let shown = 0;
    const stop = cache.watch(calls, 'calls', () => shown++);
    await tick();
    expect(shown).toBe(1);
    cache.event(changed('board'));
    await tick(GATHER_MS);
    expect(node.sent).toHaveLength(1);
    cache.event(changed('commons', OTHER));
    await tick(GATHER_MS);
    expect(node.ops()).toEqual(['calls', 'calls']);
    expect(shown).toBe(2);
    stop();
  });

  it('drops everything when the window fell behind the events (lagged)', async () => {
    const stop = cache.watch(taskList, 'tasks', () => undefined);
    await cache.read(members, 'members');
    await cache.read(peers, 'peers');
    await tick();
    cache.event({ event: 'lagged', missed: 12 } as never);
    await tick();
    // What is on screen is read again at once; the rest when next asked for.
    expect(node.ops()).toEqual(['task_list', 'members', 'peers', 'task_list']);
    await cache.read(members, 'members');
    await cache.read(peers, 'peers');
    expect(node.ops().slice(4)).toEqual(['members', 'peers']);
    stop();
  });

  it("reads again what was on its way when its document changed", async () => {
    node.auto = false;
    const shown: unknown[] = [];
    const stop = cache.watch(taskList, 'tasks', (s) => shown.push(s.data));
    cache.event(changed('board'));
    node.answer();
    node.auto = true;
    node.change();
    await tick(GATHER_MS);
    expect(node.ops()).toEqual(['task_list', 'task_list']);
    expect(shown).toEqual([
      { op: 'task_list', version: 0 },
      { op: 'task_list', version: 1 },
    ]);
    stop();
  });

  it('reads a shown answer again when asked to (a clock on the network), and only a shown one', async () => {
    await cache.read(peers, 'peers');
    cache.refresh(peers);
    await tick();
    expect(node.sent).toHaveLength(1);
    // Forgotten: watching it reads it.
    const stop = cache.watch(peers, 'peers', () => undefined);
    await tick();
    expect(node.sent).toHaveLength(2);
    cache.refresh(peers);
    await tick();
    expect(node.ops()).toEqual(['peers', 'peers', 'peers']);
    stop();
  });

  it("does not share a read that was on its way before a change", async () => {
    node.auto = false;
    const first = cache.read(taskList, 'tasks');
    cache.event(changed('board'));
    const second = cache.read(taskList, 'tasks');
    expect(node.sent).toHaveLength(2);
    node.answer();
    node.change();
    node.answer();
    expect(await first).toEqual({ op: 'task_list', version: 0 });
    expect(await second).toEqual({ op: 'task_list', version: 1 });
  });

  it('shows a failure without keeping it', async () => {
    let fail = true;
    const failing = new ReadCache((r) => (fail ? Promise.reject({ code: 'not_found', message: 'no task k3j2' }) : node.send(r)));
    const err = await failing.read(taskShow, 'task').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe('not_found');
    fail = false;
    await failing.read(taskShow, 'task');
    expect(node.sent).toHaveLength(1);
  });

  describe("the member's own writes", () => {
    it('answer first: what is shown waits for the event, then is read once', async () => {
      const shown: unknown[] = [];
      const stop = cache.watch(taskShow, 'task', (s) => shown.push(s.data));
      await tick();
      const w = cache.sent(pledge);
      node.change();
      cache.answered(w, true);
      await tick(GATHER_MS);
      expect(node.ops()).toEqual(['task_show']);
      expect(cache.busy()).toBe(true);
      expect(cache.event(changed('board'))).toBe('own');
      await tick();
      expect(node.ops()).toEqual(['task_show', 'task_show']);
      expect(shown).toHaveLength(2);
      expect(cache.busy()).toBe(false);
      // Nothing is read twice, and nothing waits for anything any more.
      await tick(EXPECT_EVENT_MS);
      expect(node.sent).toHaveLength(2);
      stop();
    });

    it('answer first: a read made after the answer already holds the change', async () => {
      await cache.read(taskList, 'tasks');
      const w = cache.sent({ op: 'task_add', community: C, task: {} as never });
      cache.answered(w, true);
      // The answer is not served again (it predates the new task)…
      const stop = cache.watch(taskList, 'tasks', () => undefined);
      await tick();
      expect(node.ops()).toEqual(['task_list', 'task_list']);
      // …and the write's event does not read it a third time.
      expect(cache.event(changed('board'))).toBe('own');
      await tick(GATHER_MS);
      expect(node.sent).toHaveLength(2);
      stop();
    });

    it('event first: read once on the event, and the answer changes nothing', async () => {
      const stop = cache.watch(taskShow, 'task', () => undefined);
      await tick();
      const w = cache.sent(pledge);
      expect(cache.event(changed('board'))).toBe('own');
      await tick();
      expect(node.ops()).toEqual(['task_show', 'task_show']);
      cache.answered(w, true);
      await tick(EXPECT_EVENT_MS);
      expect(node.sent).toHaveLength(2);
      // A later change by someone else is read as usual.
      expect(cache.event(changed('board'))).toBe('other');
      await tick(GATHER_MS);
      expect(node.sent).toHaveLength(3);
      stop();
    });

    it("a peer's change on another document is not taken for the write's", async () => {
      const stop = cache.watch(myHours, 'hours', () => undefined);
      await tick();
      const w = cache.sent(pledge);
      cache.answered(w, true);
      expect(cache.event(changed('ledger/2026'))).toBe('other');
      await tick(GATHER_MS);
      expect(node.ops()).toEqual(['my_hours', 'my_hours']);
      expect(cache.event(changed('board'))).toBe('own');
      stop();
    });

    it('a write whose event never comes: its documents are read again after a while', async () => {
      const stop = cache.watch(taskShow, 'task', () => undefined);
      await tick();
      const w = cache.sent({ op: 'feedback', task: 'k3j2', verdict: 'enjoyed' });
      cache.answered(w, true);
      await tick(EXPECT_EVENT_MS - 1);
      expect(node.sent).toHaveLength(1);
      await tick(1);
      expect(node.ops()).toEqual(['task_show', 'task_show']);
      expect(cache.busy()).toBe(false);
      stop();
    });

    it('a refused write expects no event and changes nothing', async () => {
      await cache.read(taskList, 'tasks');
      const w = cache.sent(pledge);
      cache.answered(w, false);
      expect(cache.busy()).toBe(false);
      await cache.read(taskList, 'tasks');
      expect(node.sent).toHaveLength(1);
      expect(cache.event(changed('board'))).toBe('other');
    });

    it('two writes on one document: each event reads again what the other write left', async () => {
      const stop = cache.watch(taskShow, 'task', () => undefined);
      await tick();
      const w1 = cache.sent(pledge);
      const w2 = cache.sent({ ...pledge, action: 'done' });
      cache.answered(w1, true);
      expect(cache.event(changed('board'))).toBe('own');
      await tick();
      expect(node.sent).toHaveLength(2);
      // Read after the first answer, before the second: the second's event reads it again.
      cache.answered(w2, true);
      expect(cache.event(changed('board'))).toBe('own');
      await tick();
      expect(node.sent).toHaveLength(3);
      expect(cache.busy()).toBe(false);
      // Both answered before a read: one read holds both.
      const w3 = cache.sent(pledge);
      const w4 = cache.sent(pledge);
      cache.answered(w3, true);
      cache.answered(w4, true);
      cache.event(changed('board'));
      cache.event(changed('board'));
      await tick();
      expect(node.sent).toHaveLength(4);
      stop();
    });

    it('a write on its way when the window fell behind: its event invalidates as any other', async () => {
      const stop = cache.watch(taskShow, 'task', () => undefined);
      await tick();
      const w = cache.sent(pledge);
      cache.event({ event: 'lagged', missed: 3 });
      await tick();
      cache.answered(w, true);
      expect(cache.busy()).toBe(false);
      expect(cache.event(changed('board'))).toBe('other');
      await tick(GATHER_MS);
      expect(node.ops()).toEqual(['task_show', 'task_show', 'task_show']);
      stop();
    });

    it('a new community or identity drops everything', async () => {
      await cache.read(members, 'members');
      cache.answered(cache.sent({ op: 'community_create', name: 'Hillside' }), true);
      await cache.read(members, 'members');
      expect(node.sent).toHaveLength(2);
    });
  });
});

describe('what depends on what', () => {
  it('names the documents of each read', () => {
    expect(depsOf(taskList)).toEqual([{ community: C, doc: 'board' }]);
    expect(depsOf(taskShow, { community: C })).toEqual([
      { community: C, doc: 'board' },
      { community: C, doc: 'people' },
      { community: C, doc: 'ledger' },
    ]);
    expect(depsOf({ op: 'progress', community: C, month: '2025-11' })).toContainEqual({ community: C, doc: 'ledger/2025' });
    expect(depsOf({ op: 'my_hours', community: C, year: 2024 })).toContainEqual({ community: C, doc: 'ledger/2024' });
    expect(depsOf({ op: 'community_list' })).toEqual([{ community: null, doc: 'people' }]);
    expect(depsOf({ op: 'devices' })).toEqual([{ community: null, doc: 'people' }, 'pairing']);
    expect(depsOf(suggest)).toEqual([{ community: null, doc: null }]);
    expect(depsOf(peers)).toEqual(['network']);
    for (const op of ['neighbours', 'calls', 'notices'] as const)
      expect(depsOf({ op, community: C })).toEqual([
        { community: null, doc: 'commons' },
        { community: C, doc: 'people' },
      ]);
    expect(depsOf({ op: 'calendar', community: C })).toEqual([
      { community: C, doc: null },
      { community: null, doc: 'commons' },
    ]);
    expect(depsOf({ op: 'calendar', community: null })).toContainEqual({ community: null, doc: null });
    expect(depsOf({ op: 'crews', community: C })).toEqual([
      { community: C, doc: 'people' },
      { community: C, doc: 'board' },
    ]);
    expect(depsOf({ op: 'gathering_show', gathering: 'g7h2' }, { community: C })).toEqual([
      { community: C, doc: 'people' },
      { community: C, doc: 'board' },
    ]);
    expect(depsOf({ op: 'status' })).toBeNull();
    expect(depsOf({ op: 'export', community: C, format: 'csv', doc: null })).toBeNull();
  });

  it('names the documents each write changes', () => {
    expect(writesOf(pledge)).toEqual([{ community: null, doc: 'board' }]);
    expect(writesOf({ op: 'log', community: C, task: null, sector: 'food', minutes: 60, date: null, note: '' })).toEqual([
      { community: C, doc: 'ledger' },
    ]);
    expect(writesOf({ op: 'profile_set', community: C, update: {} })).toEqual([{ community: C, doc: 'people' }]);
    expect(writesOf({ op: 'join', code: 'x', name: null })).toBe('all');
    // Crews live in the people document; a crew's pledge and gatherings on the board.
    expect(writesOf({ op: 'crew_create', community: C, crew: { name: 'Tea', purpose: '', open: true, rhythm: null, review: null } })).toEqual([
      { community: C, doc: 'people' },
    ]);
    expect(writesOf({ op: 'crew_note', crew: 'k1', kind: 'check-in', text: 'well' })).toEqual([{ community: null, doc: 'people' }]);
    expect(writesOf({ op: 'crew_pledge', task: 'k3j2', crew: 'k1' })).toEqual([{ community: null, doc: 'board' }]);
    expect(writesOf({ op: 'attend', gathering: 'g1', coming: true })).toEqual([{ community: null, doc: 'board' }]);
    expect(writesOf(taskList)).toBeNull();
  });
});
