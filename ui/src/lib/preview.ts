// A stand-in node for looking at the UI in a plain browser (`npm run dev`): it answers from
// the saved demo fixtures and keeps a few changes in memory. Never part of the app the shell
// embeds (main.ts loads it only in development).

import type { Transport } from './api';
import { previewCrews } from './preview-crews';
import { previewDecisions } from './preview-decisions';
import type { CallInfo, NeighboursInfo, NoticeInfo, Request, Response, TaskDetail, TaskSummary } from './types';
import calls from './fixtures/calls.json';
import communities from './fixtures/communities.json';
import guilds from './fixtures/guilds.json';
import hours from './fixtures/hours.json';
import members from './fixtures/members.json';
import neighbours from './fixtures/neighbours.json';
import notices from './fixtures/notices.json';
import peers from './fixtures/peers.json';
import pending from './fixtures/pending.json';
import progress from './fixtures/progress.json';
import progressJan from './fixtures/progress-2026-01.json';
import sectors from './fixtures/sectors.json';
import suggest from './fixtures/suggest.json';
import taskShow from './fixtures/task-show.json';
import tasksOpen from './fixtures/tasks-open.json';

declare const __WEFT_BRIDGE__: boolean;

/** A real node behind the dev server's bridge (see dev/node-bridge.ts). */
function bridgeTransport(): Transport {
  return {
    async invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      if (command === 'app_info') return { dataDir: '(dev bridge)', version: 'dev', online: true, pendingLink: null } as T;
      if (command !== 'execute') throw { code: 'internal', message: `the dev bridge has no command ${command}` };
      const r = await fetch('/__weft/execute', { method: 'POST', body: JSON.stringify(args?.request) });
      const reply = (await r.json()) as { ok?: T; err?: unknown };
      if (reply.err) throw reply.err;
      return reply.ok as T;
    },
    // The control socket carries no events: every few seconds, tell the page it missed some
    // (as the shell does when the page falls behind), so it reads again what it shows.
    async listen<T>(event: string, handler: (payload: T) => void) {
      if (event !== 'weft-event') return () => undefined;
      const timer = setInterval(() => handler({ event: 'lagged', missed: 0 } as T), 4000);
      return () => clearInterval(timer);
    },
  };
}

export function previewTransport(): Transport {
  if (__WEFT_BRIDGE__) return bridgeTransport();
  return fixtureTransport();
}

function fixtureTransport(): Transport {
  const tasks = structuredClone(tasksOpen) as TaskSummary[];
  /** The member's pledges: the crew each is taken for, if any. */
  const mine = new Map<string, string | null>();
  // The commons: our neighbours, calls (ours and theirs), offers and needs, kept in memory
  // (answered as copies, as the node's answers are new objects each time).
  const commons = {
    neighbours: structuredClone(neighbours) as NeighboursInfo,
    calls: structuredClone(calls) as CallInfo[],
    notices: structuredClone(notices) as NoticeInfo[],
  };
  for (const t of tasks) if (commons.calls.some((c) => c.ours && c.task === t.id)) t.open_to_neighbours = true;
  const callOf = (ref: string): CallInfo => {
    const c = commons.calls.find((x) => x.task.startsWith(ref));
    if (!c) throw { code: 'not_found', message: `no call '${ref}' here or at a neighbour's` };
    return c;
  };
  const noticeOf = (ref: string): NoticeInfo => {
    const n = commons.notices.find((x) => x.id.startsWith(ref));
    if (!n) throw { code: 'not_found', message: `no offer or need '${ref}'` };
    return n;
  };
  const us = communities[0];
  const detail = (id: string): TaskDetail => {
    const t = tasks.find((x) => x.id.startsWith(id)) ?? (taskShow as TaskDetail);
    const crew = crews.crewName(mine.get(t.id) ?? null);
    return {
      ...(taskShow as TaskDetail),
      ...t,
      gathering_title: crews.gatheringTitle(t.gathering),
      my_pledge: mine.has(t.id) ? 'pledged' : null,
      pledges: mine.has(t.id) ? [{ member: 'me', name: 'You', state: 'pledged', at: Date.now(), on: null, stand_in: false, stands_in_for: null, handed_over_to: null, crew }] : [],
    };
  };
  // A document changed in memory: say so, as the node does.
  let onEvent: ((e: unknown) => void) | null = null;
  const changed = (doc: 'board' | 'people') =>
    queueMicrotask(() => onEvent?.({ event: 'document_changed', community: communities[0]?.id, doc }));
  const boardChanged = () => changed('board');
  const decisions = previewDecisions(us.id);
  const crews = previewCrews(us.id, { tasks, pledged: mine, detail });
  const answer = (r: Request): Response => {
    const crewsAnswer = crews.answer(r);
    if (crewsAnswer) {
      // Crews live in the people document; a crew's pledge, gatherings and their tasks on the board.
      if (r.op.startsWith('crew_') && r.op !== 'crew_show' && r.op !== 'crew_pledge') changed('people');
      else if (r.op !== 'crews' && r.op !== 'crew_show' && r.op !== 'gatherings' && r.op !== 'gathering_show') boardChanged();
      return crewsAnswer;
    }
    const decided = decisions(r);
    if (decided) {
      if (r.op !== 'proposals' && r.op !== 'proposal_show') boardChanged();
      return decided;
    }
    switch (r.op) {
      case 'whoami':
        return { kind: 'identity', data: { name: 'You', member: 'me', device: 'dev', data_dir: '~/.local/share/weft' } };
      case 'community_list':
        return { kind: 'communities', data: communities };
      case 'sectors':
        return { kind: 'sectors', data: sectors };
      case 'guilds':
        return { kind: 'guilds', data: guilds };
      case 'task_list':
        return { kind: 'tasks', data: tasks };
      case 'task_show':
        return { kind: 'task', data: detail(r.task) };
      case 'series_list':
        return { kind: 'series_list', data: [] };
      case 'task_edit':
      case 'task_close':
        boardChanged();
        return { kind: 'task', data: detail(r.task) };
      case 'pledge': {
        const t = detail(r.task);
        if (r.action === 'pledge') mine.set(t.id, null);
        else mine.delete(t.id);
        boardChanged();
        return { kind: 'pledge', data: { task: t.id, title: t.title, state: r.action === 'pledge' ? 'pledged' : 'withdrawn', taken: t.taken, slots: t.slots } };
      }
      case 'flag':
        boardChanged();
        return { kind: 'flag', data: { id: `f${Date.now().toString(32)}` } };
      case 'suggest':
        return { kind: 'suggestions', data: suggest as never };
      case 'progress':
        return { kind: 'progress', data: (r.month && r.month < progress.month ? { ...progressJan, month: r.month } : progress) as never };
      case 'my_hours':
        return { kind: 'hours', data: hours };
      case 'pending':
        return { kind: 'pending', data: pending as never };
      case 'members':
        return { kind: 'members', data: members as never };
      case 'profile_show':
        return { kind: 'member', data: (members as never[])[0] };
      case 'peers':
        return { kind: 'peers', data: peers as never };
      case 'neighbours':
        return { kind: 'neighbours', data: structuredClone(commons.neighbours) };
      case 'neighbour_end': {
        const n = commons.neighbours.neighbours.find((x) => x.community === r.neighbour || x.name === r.neighbour);
        if (n) n.live = false;
        return { kind: 'neighbours', data: structuredClone(commons.neighbours) };
      }
      case 'neighbour_invite': {
        const code = 'preview'.padEnd(48, 'a');
        return {
          kind: 'invite',
          data: { community: us.id, community_name: us.name, code, link: `weft://join/${code}`, addresses: [], expires: Date.now() + r.hours * 3_600_000, uses: 1 },
        };
      }
      case 'neighbour_accept':
        throw { code: 'network', message: 'linking needs the network: the preview has none' };
      case 'calls':
        return { kind: 'calls', data: structuredClone(commons.calls.filter((c) => c.open)) };
      case 'call_open': {
        const t = detail(r.task);
        let c = commons.calls.find((x) => x.task === t.id);
        if (!c) {
          c = { community: us.id, community_name: us.name, task: t.id, title: t.title, description: t.description, sector: t.sector, skills: [...t.skills], hours: t.hours, slots: t.slots, urgency: t.urgency, deadline: t.deadline, location: t.location, escalated: false, open: true, ours: true, visitors: [], visitor_minutes: 0 };
          commons.calls.push(c);
        }
        c.open = true;
        return { kind: 'call', data: c };
      }
      case 'call_close': {
        const c = callOf(r.task);
        c.open = false;
        return { kind: 'call', data: c };
      }
      case 'call_pledge': {
        const c = callOf(r.call);
        c.visitors = c.visitors.filter((v) => v.member !== 'me');
        c.visitors.push({ member: 'me', name: 'You', community: us.id, community_name: us.name, state: r.withdraw ? 'withdrawn' : 'pledged' });
        return { kind: 'call', data: c };
      }
      case 'call_log': {
        const c = callOf(r.call);
        c.visitor_minutes += r.minutes;
        return {
          kind: 'entry',
          data: { id: `e${Date.now()}`, community: us.id, member: 'me', member_name: 'You', task: null, task_title: null, sector: c.sector, minutes: r.minutes, date: r.date ?? new Date().toISOString().slice(0, 10), note: `visiting ${c.community_name}: ${c.title}`, confirmed_by: [], retracted: false, clock: null },
        };
      }
      case 'notices':
        return { kind: 'notices', data: structuredClone(commons.notices.filter((n) => n.open)) };
      case 'notice_post': {
        const n: NoticeInfo = { id: `n${Date.now()}`, kind: r.kind, community: us.id, community_name: us.name, title: r.title, description: r.description, sector: r.sector, open: true, ours: true, created_at: Date.now(), replies: [] };
        commons.notices.push(n);
        return { kind: 'notice', data: n };
      }
      case 'notice_close': {
        const n = noticeOf(r.notice);
        n.open = false;
        return { kind: 'notice', data: n };
      }
      case 'notice_reply': {
        const n = noticeOf(r.notice);
        n.replies.push({ name: 'You', community_name: us.name, text: r.text, at: Date.now() });
        return { kind: 'notice', data: n };
      }
      case 'status':
        return {
          kind: 'status',
          data: { data_dir: '~/.local/share/weft', disk_bytes: 4_200_000, identity: null, documents: [], recovered: null },
        };
      default:
        throw { code: 'invalid', message: `the preview does not do '${r.op}'` };
    }
  };
  return {
    async invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      if (command === 'app_info') return { dataDir: '~/.local/share/weft', version: 'preview', online: false, pendingLink: null } as T;
      if (command !== 'execute') throw { code: 'internal', message: `no command ${command}` };
      return answer(args?.request as Request) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      if (event === 'weft-event') onEvent = handler as (e: unknown) => void;
      return () => undefined;
    },
  };
}
