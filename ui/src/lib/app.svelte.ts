// The app's shared state: who we are, the communities, the current screen, whether we are
// online. Screens read through the read cache (`cache.ts`, `reads.svelte.ts`); this module
// hands it the node's events and the member's writes, and watches the community list and
// the network for the header.

import { appInfo, observeRequests, onLink, onNodeEvent, WeftError, toApiError, whileBusy } from './api';
import { cache, type CacheEvent, type Snapshot } from './cache';
import { isNeighbourLink } from './links';
import { todayStr } from './format';
import { pledgedDays, readCalendar, type PledgedDay } from './ics';
import { batch, MAX_AT_ONCE, newUrgent, remember } from './notify';
import { anyWanted, dueReminders, pledgesToCheck, rememberSent, stillToDo } from './reminders';
import { parseRoute, routeHash, type Route } from './route';
import { settings, t, tm } from './settings.svelte';
import type {
  AppInfo,
  CommunityInfo,
  CrewInfo,
  GatheringInfo,
  IdentityInfo,
  NodeEvent,
  PeersInfo,
  ProposalInfo,
  Request,
  TaskDetail,
} from './types';

export const app = $state({
  phase: 'loading' as 'loading' | 'first-run' | 'ready' | 'broken',
  fatal: null as WeftError | null,
  info: null as AppInfo | null,
  identity: null as IdentityInfo | null,
  communities: [] as CommunityInfo[],
  /** The current community's id (null: none yet). */
  community: null as string | null,
  online: false,
  peers: 0,
  /** A `weft://` link waiting to be joined (from launch, a `weft-link` event or a QR). */
  pendingLink: null as string | null,
  /** A short message for everyone's eyes (and screen readers: a polite live region). */
  notice: '',
  route: { name: 'board' } as Route,
});

export function currentCommunity(): CommunityInfo | null {
  return app.communities.find((c) => c.id === app.community) ?? null;
}

export function navigate(r: Route): void {
  app.route = r;
  const hash = routeHash(r);
  if (typeof location !== 'undefined' && location.hash !== hash) history.pushState(null, '', hash);
}

export function announce(text: string): void {
  app.notice = '';
  // A new string each time so the live region speaks it again.
  queueMicrotask(() => (app.notice = text));
}

const COMMUNITIES: Request = { op: 'community_list' };
const PEERS: Request = { op: 'peers' };

function showCommunities(list: CommunityInfo[]): void {
  app.communities = list;
  if (!app.community || !list.some((c) => c.id === app.community)) {
    const saved = localStorage.getItem('weft.community');
    app.community = list.find((c) => c.id === saved)?.id ?? list[0]?.id ?? null;
  }
}

/** The communities as the node has them now (after the member created or joined one). */
export async function refreshCommunities(): Promise<void> {
  try {
    showCommunities(await cache.read(COMMUNITIES, 'communities'));
  } catch {
    /* shown by the screens that need it */
  }
}

export function chooseCommunity(id: string): void {
  app.community = id;
  try {
    localStorage.setItem('weft.community', id);
  } catch {
    /* not kept */
  }
}

function showNetwork(s: Snapshot<PeersInfo>): void {
  app.online = !s.error && !!s.data?.online;
  app.peers = s.error ? 0 : (s.data?.peers.length ?? 0);
}

/** Finds out where we are: no identity → first run; identity without community → first run. */
export async function loadIdentity(): Promise<void> {
  try {
    app.identity = await cache.read({ op: 'whoami' }, 'identity');
  } catch (e) {
    const err = toApiError(e);
    if (err.code === 'not_initialised') {
      app.identity = null;
      app.phase = 'first-run';
      return;
    }
    app.fatal = err;
    app.phase = 'broken';
    return;
  }
  await refreshCommunities();
  app.phase = app.communities.length ? 'ready' : 'first-run';
}

let notifyTimer: ReturnType<typeof setTimeout> | null = null;
let remindTimer: ReturnType<typeof setTimeout> | null = null;
/** Reminders are looked for this often, besides at start and on others' changes. */
export const REMIND_EVERY_MS = 30 * 60_000;

function onEvent(e: NodeEvent): void {
  // The cache reads again what is on screen and depends on what changed.
  const whose = cache.event(e as CacheEvent);
  // A member's own change raises no new urgent task for them to hear about (their own
  // tasks are never notified: see `notSuggestingOwn`), nor a reminder they need at once
  // (the clock looks again soon enough); others' changes may.
  if (e.event !== 'document_changed' || whose !== 'other' || app.phase !== 'ready') return;
  if (settings.notifications) {
    if (notifyTimer) clearTimeout(notifyTimer);
    notifyTimer = setTimeout(() => {
      notifyTimer = null;
      void notifyUrgent();
    }, 2000);
  }
  if (anyWanted(settings.reminders)) {
    if (remindTimer) clearTimeout(remindTimer);
    remindTimer = setTimeout(() => {
      remindTimer = null;
      void checkReminders();
    }, 2000);
  }
}

/** Desktop notifications, if the system has the service and the member allows it. */
async function notifyDesktop(list: readonly { title: string; body: string }[]): Promise<void> {
  try {
    const n = await import('@tauri-apps/plugin-notification');
    let granted = await n.isPermissionGranted();
    if (!granted) granted = (await n.requestPermission()) === 'granted';
    if (!granted) return;
    for (const x of list) n.sendNotification(x);
  } catch {
    /* no notification service: the screens still show what they are about */
  }
}

function seenIds(): string[] {
  try {
    return JSON.parse(localStorage.getItem('weft.notified') ?? '[]') as string[];
  } catch {
    return [];
  }
}

/** Urgent tasks that fit the member, each notified once. */
export async function notifyUrgent(): Promise<void> {
  if (!app.community) return;
  let items;
  try {
    items = (await cache.read({ op: 'suggest', community: app.community, member: null, limit: 20 }, 'suggestions')).items;
  } catch {
    return;
  }
  const seen = seenIds();
  const fresh = newUrgent(items, new Set(seen));
  if (!fresh.length) return;
  try {
    localStorage.setItem('weft.notified', JSON.stringify(remember(seen, fresh)));
  } catch {
    /* notified again next time */
  }
  const { show, more } = batch(fresh);
  const list = show.map((s) => ({ title: t('notify.title'), body: s.title }));
  if (more) list.push({ title: t('notify.title'), body: t('notify.more', { count: more }) });
  await notifyDesktop(list);
}

function readList(key: string): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

let reminding = false;

/**
 * Reminders of the kinds the member wants (`reminders.ts`), each sent once: pledged work
 * today or tomorrow (from the member's calendar, each confirmed on its task's page),
 * proposals closing within a day without their stance, outcomes due for review, their
 * crews' meetings today or tomorrow, a gathering they are coming to tomorrow.
 */
export async function checkReminders(): Promise<void> {
  const wanted = { ...settings.reminders };
  if (reminding || app.phase !== 'ready' || !anyWanted(wanted)) return;
  reminding = true;
  try {
    const input = {
      today: todayStr(),
      now: Date.now(),
      pledged: [] as PledgedDay[],
      proposals: [] as ProposalInfo[],
      crews: [] as CrewInfo[],
      gatherings: [] as GatheringInfo[],
    };
    const sent = new Set(readList('weft.reminded'));
    if (wanted.pledge) {
      try {
        const cal = await cache.read({ op: 'calendar', community: null }, 'calendar');
        const me = app.identity?.member ?? null;
        for (const p of pledgesToCheck({ ...input, pledged: pledgedDays(readCalendar(cal.ics)) }, sent)) {
          let task: TaskDetail | null = null;
          try {
            task = await cache.read({ op: 'task_show', task: p.task }, 'task');
          } catch {
            /* not on our boards (a neighbour's call): as the calendar says */
          }
          if (stillToDo(task, me)) input.pledged.push(p);
        }
      } catch {
        /* no calendar now: next time */
      }
    }
    /** Adds what a read brings; one that fails is read again next time. */
    const add = async <T>(into: T[], read: () => Promise<T[]>) => {
      try {
        into.push(...(await read()));
      } catch {
        /* next time */
      }
    };
    for (const c of app.communities) {
      if (wanted.proposal || wanted.review)
        await add(input.proposals, () => cache.read({ op: 'proposals', community: c.id, all: false }, 'proposals'));
      if (wanted.crew) await add(input.crews, () => cache.read({ op: 'crews', community: c.id }, 'crews'));
      if (wanted.gathering)
        await add(input.gatherings, () => cache.read({ op: 'gatherings', community: c.id, past: false }, 'gatherings'));
    }
    const fresh = dueReminders(input, wanted, sent);
    if (!fresh.length) return;
    try {
      localStorage.setItem('weft.reminded', JSON.stringify(rememberSent([...sent], fresh)));
    } catch {
      /* reminded again next time */
    }
    const list = fresh.slice(0, MAX_AT_ONCE).map((r) => ({ title: tm(r.title), body: tm(r.body) }));
    const more = fresh.length - list.length;
    if (more > 0) list.push({ title: t('remind.moreTitle'), body: t('remind.more', { count: more }) });
    await notifyDesktop(list);
  } finally {
    reminding = false;
  }
}

/** A task the member posted or changed is theirs: never notified as news to them. */
export function notSuggestingOwn(task: string): void {
  try {
    localStorage.setItem('weft.notified', JSON.stringify(remember(seenIds(), [{ task }])));
  } catch {
    /* not kept */
  }
}

/** Starts listening to the shell; called once at start. */
export async function start(): Promise<void> {
  observeRequests(cache);
  whileBusy(() => cache.busy() || notifyTimer !== null || remindTimer !== null || reminding);
  app.route = parseRoute(location.hash);
  window.addEventListener('popstate', () => (app.route = parseRoute(location.hash)));
  window.addEventListener('hashchange', () => (app.route = parseRoute(location.hash)));
  try {
    app.info = await appInfo();
    app.online = app.info.online;
    if (app.info.pendingLink) app.pendingLink = app.info.pendingLink;
  } catch {
    /* an older shell without app_info: carry on */
  }
  await onNodeEvent(onEvent).catch(() => undefined);
  await onLink((link) => {
    app.pendingLink = link;
    if (app.phase === 'ready') navigate(linkScreen(link));
  }).catch(() => undefined);
  await loadIdentity();
  // The header: the community list (kept by the cache: read once, then on changes) and the
  // network (read again on network events and every ten seconds).
  cache.watch(COMMUNITIES, 'communities', (s) => s.data && showCommunities(s.data));
  cache.watch(PEERS, 'peers', showNetwork);
  setInterval(() => cache.refresh(PEERS), 10_000);
  // Reminders: now, then on the clock (and on others' changes, above).
  void checkReminders();
  setInterval(() => void checkReminders(), REMIND_EVERY_MS);
  if (app.phase === 'ready' && app.pendingLink) navigate(linkScreen(app.pendingLink));
}

/** Where a link opened from outside is taken: a neighbour invitation to the Neighbours
 *  screen (to accept it for one of our communities), a member's to joining. */
function linkScreen(link: string): Route {
  return isNeighbourLink(link) ? { name: 'neighbours' } : { name: 'peers' };
}
