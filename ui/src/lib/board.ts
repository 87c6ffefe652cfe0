// The board's view logic: filters, the "most pressing first" order, grouping by sector and
// guild, and how urgency and deadlines are worded. Plain functions, tested without a DOM.

import { msg, type Msg } from './i18n';
import { daysBetween } from './format';
import type { Guild, GuildId, Sector, SectorId, TaskSummary, Urgency } from './types';

/** A task on the board; `neighbour` names the community for a neighbour's call. */
export interface BoardTask extends TaskSummary {
  neighbour?: string | null;
}

export interface BoardFilter {
  sector: SectorId | '';
  skill: string;
  urgency: Urgency | '';
  /** Only tasks with a free place. */
  openSlots: boolean;
  /** Only neighbours' calls (tasks open to neighbouring communities). */
  neighbours: boolean;
  /** Words in the title, description or location. */
  text: string;
}

export const EMPTY_FILTER: BoardFilter = {
  sector: '',
  skill: '',
  urgency: '',
  openSlots: true,
  neighbours: false,
  text: '',
};

export function filterTasks<T extends BoardTask>(tasks: readonly T[], f: BoardFilter): T[] {
  const words = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return tasks.filter((t) => {
    if (f.sector && t.sector !== f.sector) return false;
    if (f.skill && !t.skills.includes(f.skill)) return false;
    if (f.urgency && t.urgency !== f.urgency) return false;
    if (f.openSlots && (t.free <= 0 || t.status !== 'open')) return false;
    if (f.neighbours && !(t.neighbour || t.open_to_neighbours)) return false;
    if (words.length) {
      const hay = `${t.title} ${t.description} ${t.location ?? ''}`.toLowerCase();
      if (!words.every((w) => hay.includes(w))) return false;
    }
    return true;
  });
}

/** How many filters differ from the defaults (for "3 filters on"). */
export function activeFilters(f: BoardFilter): number {
  let n = 0;
  if (f.sector) n++;
  if (f.skill) n++;
  if (f.urgency) n++;
  if (!f.openSlots) n++;
  if (f.neighbours) n++;
  if (f.text.trim()) n++;
  return n;
}

const URGENCY_RANK: Record<Urgency, number> = { urgent: 0, soon: 1, normal: 2 };

/** The node's order: open first, urgent → soon → normal, nearest deadline, oldest, id. */
export function comparePressing(a: TaskSummary, b: TaskSummary): number {
  const open = Number(a.status !== 'open') - Number(b.status !== 'open');
  if (open) return open;
  const u = URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency];
  if (u) return u;
  if (a.deadline && b.deadline && a.deadline !== b.deadline) return a.deadline < b.deadline ? -1 : 1;
  if (a.deadline && !b.deadline) return -1;
  if (!a.deadline && b.deadline) return 1;
  if (a.created_at !== b.created_at) return a.created_at - b.created_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortPressing<T extends TaskSummary>(tasks: readonly T[]): T[] {
  return [...tasks].sort(comparePressing);
}

export interface GuildGroup<T> {
  guild: GuildId | null;
  name: string | null;
  tasks: T[];
}

export interface SectorGroup<T> {
  sector: SectorId;
  sectorInfo: Sector | null;
  guilds: GuildGroup<T>[];
  count: number;
}

/**
 * Groups tasks by sector (in the community's sector order) and, within a sector, by guild
 * (by name; tasks without a guild last). Tasks keep their order inside a group.
 */
export function groupBoard<T extends TaskSummary>(
  tasks: readonly T[],
  sectors: readonly Sector[],
  guilds: readonly Guild[],
): SectorGroup<T>[] {
  const guildName = new Map(guilds.map((g) => [g.id, g.name]));
  const bySector = new Map<SectorId, Map<GuildId | '', T[]>>();
  for (const t of tasks) {
    let g = bySector.get(t.sector);
    if (!g) bySector.set(t.sector, (g = new Map()));
    const key = t.guild ?? '';
    const list = g.get(key);
    if (list) list.push(t);
    else g.set(key, [t]);
  }
  const order = new Map(sectors.map((s) => [s.id, s]));
  const sectorIds = [...bySector.keys()].sort((a, b) => {
    const sa = order.get(a);
    const sb = order.get(b);
    if (sa && sb) return sa.order - sb.order;
    if (sa) return -1;
    if (sb) return 1;
    return a.localeCompare(b);
  });
  return sectorIds.map((sector) => {
    const groups = bySector.get(sector) ?? new Map<GuildId | '', T[]>();
    const guildGroups: GuildGroup<T>[] = [...groups.entries()]
      .map(([id, list]) => ({
        guild: id === '' ? null : id,
        name: id === '' ? null : (guildName.get(id) ?? null),
        tasks: list,
      }))
      .sort((a, b) => {
        if (a.guild === null) return 1;
        if (b.guild === null) return -1;
        return (a.name ?? '').localeCompare(b.name ?? '');
      });
    return {
      sector,
      sectorInfo: order.get(sector) ?? null,
      guilds: guildGroups,
      count: guildGroups.reduce((n, g) => n + g.tasks.length, 0),
    };
  });
}

/** Every skill the tasks ask for, sorted, for the skill filter. */
export function skillsOf(tasks: readonly TaskSummary[]): string[] {
  return [...new Set(tasks.flatMap((t) => t.skills))].sort();
}

export interface UrgencyLook {
  /** The words shown (never colour alone). */
  label: Msg;
  /** A CSS class carrying the colour and the shape of the marker. */
  tone: 'urgent' | 'soon' | 'normal';
  /** A symbol beside the words, so urgency reads without colour too. */
  symbol: string;
}

export function urgencyLook(u: Urgency): UrgencyLook {
  switch (u) {
    case 'urgent':
      return { label: msg('urgency.urgent'), tone: 'urgent', symbol: '▲' };
    case 'soon':
      return { label: msg('urgency.soon'), tone: 'soon', symbol: '●' };
    default:
      return { label: msg('urgency.normal'), tone: 'normal', symbol: '○' };
  }
}

/** The deadline in words relative to today, or null when there is none. */
export function deadlineMsg(deadline: string | null, today: string): Msg | null {
  if (!deadline) return null;
  const days = daysBetween(today, deadline);
  if (days < 0) return msg('deadline.passed');
  if (days === 0) return msg('deadline.today');
  if (days === 1) return msg('deadline.tomorrow');
  if (days < 14) return msg('deadline.inDays', { count: days });
  return msg('deadline.on', { date: deadline });
}

/** "2 of 3 places taken" / "full". */
export function placesMsg(t: Pick<TaskSummary, 'taken' | 'slots' | 'free'>): Msg {
  if (t.free <= 0) return msg('task.placesFull', { slots: t.slots });
  return msg('task.placesFree', { count: t.free, slots: t.slots });
}

/** "1 place looking for a stand-in", or null when none is. */
export function standInsMsg(t: Pick<TaskSummary, 'stand_ins'>): Msg | null {
  return t.stand_ins > 0 ? msg('task.standIns', { count: t.stand_ins }) : null;
}
