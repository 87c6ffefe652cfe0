// The UI's reads, cached per request and kept fresh by the node's events.
//
// Every read the screens make goes through one `ReadCache`: a request (its JSON is the key)
// holds the node's last answer. What an answer depends on is known from its op (`depsOf`):
// a `document_changed { community, doc }` event invalidates only the answers that depend on
// that document; `network_changed` and `peer_incident` only the network's; `lagged` (the
// window fell behind the node's events) all of them. An invalidated answer that a screen
// shows (`watch`) is read again at once; one no screen shows is dropped and read again when
// next asked for. Identical reads at the same time share one request to the node.
//
// The member's own writes. A write's answer means the node has made the change durable and
// already sent its event, which may reach the page before or after the answer. So that no
// answer is read twice, the cache remembers each write from the moment it is sent
// (`sent`), with the documents it changes (`WRITES`):
// - when the answer comes first, the answers depending on those documents are marked stale
//   (dropped unless on screen; what is on screen waits for the event), and the write's
//   event, when it comes, invalidates only answers read before the write's answer (later
//   ones already hold the change);
// - when the event comes first, it invalidates as any event does, and the answer changes
//   nothing more.
// Events arrive in the order the node sent them, and the node sends a write's event before
// its answer; so the first event on a document after a write was sent is that write's or an
// earlier one, and either is in every answer read after the write's answer. Should the
// event never come (a write that changed nothing), the write is forgotten after
// `EXPECT_EVENT_MS` and its documents are invalidated then.

import { execute, toApiError, WeftError, type RequestObserver } from './api';
import type { DataOf, Request, ResponseKind } from './types';

/** A document an answer depends on, or that a write changes. `null` matches any. */
export interface DocDep {
  readonly community: string | null;
  /** `people`, `board`, `ledger` (any year) or `ledger/2026`; `null`: every document. */
  readonly doc: string | null;
}

/** What an answer depends on: documents, the network (peers, sync states), or a pairing in
 *  progress (held by the node in memory: `devices_changed` says when it moves). */
export type Dep = DocDep | 'network' | 'pairing';

/** The node's events as the cache reads them (`lagged` comes from the shell). */
export type CacheEvent =
  | { event: 'document_changed'; community: string; doc: string }
  | { event: 'community_added'; community: string }
  | { event: 'network_changed' }
  | { event: 'peer_incident' }
  | { event: 'devices_changed' }
  | { event: 'lagged'; missed?: number }
  | { event: string };

const doc = (community: string | null, name: string | null): DocDep => ({ community, doc: name });

/** The year of a `YYYY-MM` month, as a ledger's name; `null` month: this year's (any). */
const ledgerOf = (month: string | null): string => (month ? `ledger/${month.slice(0, 4)}` : 'ledger');
const answerCommunity = (answer: unknown): string | null =>
  answer && typeof answer === 'object' && 'community' in answer && typeof answer.community === 'string'
    ? answer.community
    : null;

/**
 * The documents a read's answer depends on, or `null` if it is not cached (it is read each
 * time). `answer`, when known, can narrow the community (a task's answer names it).
 *
 * - task_list → board;
 * - task_show → board, people (names), ledgers (the hours logged for it);
 * - progress → ledger of the month's year, people (sectors, goals), board (open tasks);
 * - my_hours → the year's ledger, people (sectors, baselines);
 * - pending → this year's ledger, people and board (names, task titles);
 * - members, sectors, guilds, profile_show → people;
 * - community_list, whoami → people of every community (names; the UI reads only the names
 *   and ids from community_list: its counts of open tasks are not kept fresh by the board);
 * - devices → people of every community (the member's devices are recorded in each), and the
 *   pairing in progress (`devices_changed`: a computer asked with the code, or was linked);
 * - suggest, plan → every document of every community (the matcher also reads the other
 *   communities' calls to neighbours);
 * - neighbours, calls, notices → the commons of every community (ours and our neighbours'
 *   are each their own document, named after the community that writes it), and the
 *   community's people (our members' names);
 * - proposals, proposal_show → board (proposals, stances), people (names); a round's end
 *   changes the answer too, with nothing written: a screen asks again when it passes;
 * - crews, crew_show → people (crews live there, with names), board (the tasks a crew took:
 *   pledges, titles); a crew's next meeting also moves with the date alone;
 * - gatherings, gathering_show → board (gatherings, their tasks), people (names);
 * - calendar → every document of the community (of every community when none is named), and
 *   the commons (the caller's pledges to neighbours' calls, as a visitor);
 * - peers → the network events;
 * - status, export: not cached.
 */
export function depsOf(request: Request, answer?: unknown): Dep[] | null {
  switch (request.op) {
    case 'task_list':
      return [doc(request.community, 'board')];
    case 'task_show': {
      const c = answerCommunity(answer);
      return [doc(c, 'board'), doc(c, 'people'), doc(c, 'ledger')];
    }
    case 'progress':
      return [doc(request.community, ledgerOf(request.month)), doc(request.community, 'people'), doc(request.community, 'board')];
    case 'my_hours':
      return [
        doc(request.community, request.year === null ? 'ledger' : `ledger/${request.year}`),
        doc(request.community, 'people'),
      ];
    case 'pending':
      return [doc(request.community, 'ledger'), doc(request.community, 'people'), doc(request.community, 'board')];
    case 'members':
    case 'sectors':
    case 'guilds':
    case 'profile_show':
      return [doc(request.community, 'people')];
    case 'community_list':
    case 'whoami':
      return [doc(null, 'people')];
    case 'devices':
      return [doc(null, 'people'), 'pairing'];
    case 'suggest':
    case 'plan':
      return [doc(null, null)];
    case 'neighbours':
    case 'calls':
    case 'notices':
      return [doc(null, 'commons'), doc(request.community, 'people')];
    case 'proposals':
      return [doc(request.community, 'board'), doc(request.community, 'people')];
    case 'series_list':
      return [doc(request.community, 'board')];
    case 'proposal_show': {
      const c = answerCommunity(answer);
      return [doc(c, 'board'), doc(c, 'people')];
    }
    case 'crews':
    case 'gatherings':
      return [doc(request.community, 'people'), doc(request.community, 'board')];
    case 'crew_show':
    case 'gathering_show': {
      const c = answerCommunity(answer);
      return [doc(c, 'people'), doc(c, 'board')];
    }
    case 'calendar':
      return [doc(request.community, null), doc(null, 'commons')];
    case 'peers':
      return ['network'];
    default:
      return null;
  }
}

/** Every op, by what it does: the compiler checks that each one is sorted. */
const KIND_OF_OP: Record<Request['op'], 'read' | 'write' | 'all'> = {
  whoami: 'read',
  devices: 'read',
  community_list: 'read',
  peers: 'read',
  profile_show: 'read',
  members: 'read',
  sectors: 'read',
  guilds: 'read',
  task_list: 'read',
  task_show: 'read',
  pending: 'read',
  progress: 'read',
  my_hours: 'read',
  export: 'read',
  suggest: 'read',
  plan: 'read',
  status: 'read',
  neighbours: 'read',
  calls: 'read',
  notices: 'read',
  proposals: 'read',
  proposal_show: 'read',
  series_list: 'read',
  calendar: 'read',
  // Writes a file beside the documents, never a document: nothing to forget.
  calendar_file: 'read',
  crews: 'read',
  crew_show: 'read',
  gatherings: 'read',
  gathering_show: 'read',
  // Words computed from a pairing code: nothing stored.
  device_link_words: 'read',
  invite: 'write',
  member_remove: 'write',
  community_rename: 'write',
  profile_set: 'write',
  sector_set: 'write',
  guild_add: 'write',
  task_add: 'write',
  task_edit: 'write',
  task_close: 'write',
  pledge: 'write',
  log: 'write',
  confirm: 'write',
  retract: 'write',
  feedback: 'write',
  flag: 'write',
  decline: 'write',
  proposal_open: 'write',
  stance: 'write',
  proposal_close: 'write',
  proposal_withdraw: 'write',
  proposal_edit: 'write',
  outcome: 'write',
  series_add: 'write',
  stand_in: 'write',
  take_over: 'write',
  pledge_day: 'write',
  series_edit: 'write',
  series_skip: 'write',
  crew_create: 'write',
  crew_edit: 'write',
  crew_join: 'write',
  crew_leave: 'write',
  crew_invite: 'write',
  crew_note: 'write',
  crew_pledge: 'write',
  gathering_add: 'write',
  gathering_edit: 'write',
  attend: 'write',
  gathering_task: 'write',
  // A member's devices are in every community's people document.
  device_revoke: 'write',
  device_rename: 'write',
  backup_create: 'write',
  // A pairing in progress (held in memory), or a new identity: everything may change.
  device_add: 'all',
  device_confirm: 'all',
  device_link: 'all',
  restore: 'all',
  // A new identity or community: everything may change.
  init: 'all',
  community_create: 'all',
  join: 'all',
  demo: 'all',
  // The commons: ours and our neighbours' (a write may change another community's).
  neighbour_invite: 'all',
  neighbour_accept: 'all',
  neighbour_end: 'all',
  directory_set: 'all',
  call_open: 'all',
  call_close: 'all',
  call_pledge: 'all',
  call_log: 'all',
  notice_post: 'all',
  notice_close: 'all',
  notice_reply: 'all',
};

/** The documents a write changes (in the community it names, or any). */
export function writesOf(request: Request): DocDep[] | 'all' | null {
  const kind = KIND_OF_OP[request.op];
  if (kind !== 'write') return kind === 'all' ? 'all' : null;
  const c = 'community' in request ? request.community : null;
  switch (request.op) {
    case 'pledge':
    case 'task_add':
    case 'task_edit':
    case 'task_close':
    case 'flag':
    case 'proposal_open':
    case 'stance':
    case 'proposal_close':
    case 'proposal_withdraw':
    case 'proposal_edit':
    case 'outcome':
    case 'series_add':
    case 'stand_in':
    case 'take_over':
    case 'pledge_day':
    case 'series_edit':
    case 'series_skip':
    // A crew's pledge is a pledge; gatherings and their tasks are on the board.
    case 'crew_pledge':
    case 'gathering_add':
    case 'gathering_edit':
    case 'attend':
    case 'gathering_task':
      return [doc(c, 'board')];
    case 'log':
    case 'confirm':
    case 'retract':
    case 'feedback':
    case 'decline':
      return [doc(c, 'ledger')];
    default:
      // invite, member_remove, community_rename, profile_set, sector_set, guild_add, crews
      // (crew_create, crew_edit, crew_join, crew_leave, crew_invite, crew_note), and devices
      // (device_revoke, device_rename, backup_create: every community's, as they name none)
      return [doc(c, 'people')];
  }
}

function docMatches(dep: DocDep, community: string, name: string | null): boolean {
  if (dep.community !== null && dep.community !== community) return false;
  if (dep.doc === null || name === null || dep.doc === name) return true;
  return dep.doc === 'ledger' && name.startsWith('ledger/');
}

/** Two patterns that can name the same document (a write's and an answer's dependency). */
function overlaps(a: DocDep, b: DocDep): boolean {
  if (a.community !== null && b.community !== null && a.community !== b.community) return false;
  if (a.doc === null || b.doc === null || a.doc === b.doc) return true;
  const ledger = (x: string) => x === 'ledger' || x.startsWith('ledger/');
  return (a.doc === 'ledger' && ledger(b.doc)) || (b.doc === 'ledger' && ledger(a.doc));
}

/** What a screen is told about a read: the last answer, or why it failed. */
export interface Snapshot<T> {
  data: T | null;
  error: WeftError | null;
}

type Listener = (s: Snapshot<unknown>) => void;

interface Entry {
  readonly key: string;
  readonly request: Request;
  readonly kind: ResponseKind;
  deps: Dep[];
  has: boolean;
  value: unknown;
  error: WeftError | null;
  /** The read on its way, if any. */
  flight: Promise<unknown> | null;
  /** When the last read was sent (the cache's clock). */
  sentAt: number;
  /** Its answer may be older than the documents it depends on. */
  stale: boolean;
  readonly watchers: Set<Listener>;
}

interface Write {
  /** The documents whose event has not come yet. */
  pending: DocDep[];
  /** When the answer came (the cache's clock); null while on its way. */
  answeredAt: number | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/** How long a write's answer waits for its event before its documents are read again anyway. */
export const EXPECT_EVENT_MS = 10_000;
/** Events from elsewhere (a peer's sync brings several at once) are gathered this long. */
export const GATHER_MS = 100;
/** Answers kept that no screen shows. */
export const KEEP = 200;

export type Send = (request: Request, kind: ResponseKind) => Promise<unknown>;

export class ReadCache implements RequestObserver<Write | 'all' | null> {
  private readonly entries = new Map<string, Entry>();
  private readonly writes: Write[] = [];
  /** Watched entries to read again. */
  private readonly dirty = new Set<Entry>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private flushSoon = false;
  /** The cache's clock: ticks on every read sent and every write answered. */
  private clock = 0;

  constructor(private readonly send: Send = (r, k) => execute(r, k)) {}

  /** Reads through the cache: the kept answer, the read on its way, or a new one. */
  read<K extends ResponseKind>(request: Request, kind: K): Promise<DataOf<K>> {
    const deps = depsOf(request);
    if (!deps) return this.send(request, kind) as Promise<DataOf<K>>;
    const entry = this.entry(request, kind, deps);
    if (entry.flight && !entry.stale) return entry.flight as Promise<DataOf<K>>;
    if (entry.has && !entry.stale) return Promise.resolve(entry.value) as Promise<DataOf<K>>;
    return this.fetch(entry) as Promise<DataOf<K>>;
  }

  /**
   * A read a screen shows: `listener` gets the answer now if one is kept, and again every
   * time it is read anew. Returns the way to stop watching.
   */
  watch<K extends ResponseKind>(request: Request, kind: K, listener: (s: Snapshot<DataOf<K>>) => void): () => void {
    const deps = depsOf(request) ?? [];
    const entry = this.entry(request, kind, deps);
    const l = listener as Listener;
    entry.watchers.add(l);
    if (entry.has) l({ data: entry.value, error: null });
    if (entry.stale || (!entry.has && !entry.flight)) this.fetch(entry).catch(() => undefined);
    return () => {
      entry.watchers.delete(l);
      if (!entry.watchers.size && entry.stale && !entry.flight) this.entries.delete(entry.key);
    };
  }

  /** Reads `request` again now if a screen shows it (a clock's look at the network). */
  refresh(request: Request): void {
    const entry = this.entries.get(JSON.stringify(request));
    if (entry) this.invalidate(entry, true);
  }

  /** A node event (or the shell's `lagged`). */
  event(e: CacheEvent): 'own' | 'other' {
    switch (e.event) {
      case 'document_changed':
      case 'community_added': {
        const { community } = e as { community: string };
        const name = 'doc' in e && typeof e.doc === 'string' ? e.doc : null;
        return this.documentChanged(community, name);
      }
      case 'network_changed':
      case 'peer_incident':
        for (const entry of this.entries.values()) if (entry.deps.includes('network')) this.invalidate(entry, false);
        return 'other';
      case 'devices_changed':
        // A person waits for the words of the computer that asked: at once.
        for (const entry of this.entries.values()) if (entry.deps.includes('pairing')) this.invalidate(entry, true);
        return 'other';
      case 'lagged':
        this.dropAll();
        return 'other';
      default:
        return 'other';
    }
  }

  /** Every answer is read again (what is on screen) or forgotten. */
  dropAll(): void {
    for (const w of this.writes.splice(0)) if (w.timer) clearTimeout(w.timer);
    for (const entry of [...this.entries.values()]) this.invalidate(entry, true);
  }

  /** Called by `execute` as a request leaves: a write is remembered until its event. */
  sent(request: Request): Write | 'all' | null {
    const docs = writesOf(request);
    if (docs === null || docs === 'all') return docs;
    const w: Write = { pending: docs, answeredAt: null, timer: null };
    this.writes.push(w);
    return w;
  }

  /** Called by `execute` when the node answered a request (or refused it). */
  answered(token: Write | 'all' | null, ok: boolean): void {
    if (token === null) return;
    if (token === 'all') {
      if (ok) this.dropAll();
      return;
    }
    if (!ok) {
      this.forget(token);
      return;
    }
    if (!token.pending.length) {
      this.forget(token);
      return;
    }
    token.answeredAt = ++this.clock;
    // Answers read before now may predate the change: not served again; what is on screen
    // keeps showing until the write's event reads it again.
    for (const entry of [...this.entries.values()])
      if (this.dependsOnAny(entry, token.pending)) {
        entry.stale = true;
        if (!entry.watchers.size && !entry.flight) this.entries.delete(entry.key);
      }
    // Forgotten meanwhile (`lagged`): its event, when it comes, invalidates as any other.
    if (!this.writes.includes(token)) return;
    token.timer = setTimeout(() => {
      this.forget(token);
      for (const d of token.pending) for (const entry of this.matching(d.community, d.doc)) this.invalidate(entry, true);
    }, EXPECT_EVENT_MS);
  }

  /** Whether reads are on their way or scheduled, or a write still waits for its event. */
  busy(): boolean {
    if (this.flushTimer !== null || this.flushSoon || this.writes.length) return true;
    for (const e of this.entries.values()) if (e.flight) return true;
    return false;
  }

  /** How many answers are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  // ---- inside ----

  private entry(request: Request, kind: ResponseKind, deps: Dep[]): Entry {
    const key = JSON.stringify(request);
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used last, for trimming.
      this.entries.delete(key);
    } else {
      entry = {
        key,
        request,
        kind,
        deps,
        has: false,
        value: undefined,
        error: null,
        flight: null,
        sentAt: 0,
        stale: false,
        watchers: new Set(),
      };
    }
    this.entries.set(key, entry);
    this.trim();
    return entry;
  }

  private trim(): void {
    if (this.entries.size <= KEEP) return;
    for (const entry of this.entries.values()) {
      if (this.entries.size <= KEEP) break;
      if (!entry.watchers.size && !entry.flight) this.entries.delete(entry.key);
    }
  }

  private fetch(entry: Entry): Promise<unknown> {
    entry.sentAt = ++this.clock;
    entry.stale = false;
    const flight: Promise<unknown> = this.send(entry.request, entry.kind).then(
      (value) => {
        if (entry.flight !== flight) return value;
        entry.flight = null;
        entry.has = true;
        entry.value = value;
        entry.error = null;
        entry.deps = depsOf(entry.request, value) ?? entry.deps;
        for (const l of entry.watchers) l({ data: value, error: null });
        // Invalidated while on its way: what it brought may be older than the change.
        if (entry.stale) this.afterFlight(entry);
        return value;
      },
      (e: unknown) => {
        const error = toApiError(e);
        if (entry.flight !== flight) throw error;
        entry.flight = null;
        // A failure is shown (with the last answer, if any), never served: the next read
        // asks again.
        entry.stale = true;
        entry.error = error;
        for (const l of entry.watchers) l({ data: entry.has ? entry.value : null, error });
        if (!entry.watchers.size) this.entries.delete(entry.key);
        throw error;
      },
    );
    entry.flight = flight;
    return flight;
  }

  private afterFlight(entry: Entry): void {
    if (entry.watchers.size) this.schedule(entry, false);
    else this.entries.delete(entry.key);
  }

  private *matching(community: string | null, name: string | null): Iterable<Entry> {
    for (const entry of [...this.entries.values()])
      for (const d of entry.deps)
        if (typeof d !== 'string' && (community === null ? overlaps(d, { community, doc: name }) : docMatches(d, community, name))) {
          yield entry;
          break;
        }
  }

  private dependsOnAny(entry: Entry, docs: DocDep[]): boolean {
    return entry.deps.some((d) => typeof d !== 'string' && docs.some((w) => overlaps(d, w)));
  }

  /** An answer may be out of date: read again if shown (now, or after gathering), else forgotten. */
  private invalidate(entry: Entry, now: boolean): void {
    entry.stale = true;
    if (entry.watchers.size) this.schedule(entry, now);
    else if (!entry.flight) this.entries.delete(entry.key);
  }

  private documentChanged(community: string, name: string | null): 'own' | 'other' {
    const i = name === null ? -1 : this.writes.findIndex((w) => w.pending.some((d) => docMatches(d, community, name)));
    if (i < 0) {
      for (const entry of this.matching(community, name)) this.invalidate(entry, false);
      return 'other';
    }
    const w = this.writes[i];
    w.pending = w.pending.filter((d) => !docMatches(d, community, name));
    const before = w.answeredAt;
    if (!w.pending.length) this.forget(w);
    for (const entry of this.matching(community, name))
      if (before === null || entry.sentAt < before) this.invalidate(entry, true);
    return 'own';
  }

  private forget(w: Write): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    const i = this.writes.indexOf(w);
    if (i >= 0) this.writes.splice(i, 1);
  }

  private schedule(entry: Entry, now: boolean): void {
    this.dirty.add(entry);
    if (now) {
      if (this.flushTimer !== null) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      if (!this.flushSoon) {
        this.flushSoon = true;
        queueMicrotask(() => this.flush());
      }
    } else if (this.flushTimer === null && !this.flushSoon) {
      this.flushTimer = setTimeout(() => this.flush(), GATHER_MS);
    }
  }

  private flush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushSoon = false;
    const due = [...this.dirty];
    this.dirty.clear();
    for (const entry of due)
      if (entry.stale && entry.watchers.size && this.entries.get(entry.key) === entry) this.fetch(entry).catch(() => undefined);
  }
}

/** The app's one cache. */
export const cache = new ReadCache();
