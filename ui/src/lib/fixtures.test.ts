// The view logic against what the node really answers (saved from `weft --json` on the
// demo community, 60 members, seed 1): the shapes match the TypeScript mirrors, and the UI
// computes the same figures and order as the node.
import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import { EMPTY_FILTER, filterTasks, groupBoard, sortPressing } from './board';
import { hasDefaultName } from './catalogue';
import { renderMsg, translate, type MessageTree } from './i18n';
import { percentOf, progressSeries, yearRows, yearTotals } from './progress';
import { needReasonParts, reasonParts, type ReasonContext } from './reasons';
import { byPlace, callSkills, linkState, splitCalls, splitNotices } from './neighbours';
import type { CallInfo, NeighboursInfo, NoticeInfo } from './types';
import type { Guild, MemberInfo, MemberYear, PendingInfo, Progress, Sector, SuggestionsInfo, TaskDetail, TaskSummary } from './types';
import guildsJson from './fixtures/guilds.json';
import hoursJson from './fixtures/hours.json';
import membersJson from './fixtures/members.json';
import pendingJson from './fixtures/pending.json';
import progressJanJson from './fixtures/progress-2026-01.json';
import progressJson from './fixtures/progress.json';
import sectorsJson from './fixtures/sectors.json';
import suggestJson from './fixtures/suggest.json';
import taskJson from './fixtures/task-show.json';
import callsJson from './fixtures/calls.json';
import neighboursJson from './fixtures/neighbours.json';
import noticesJson from './fixtures/notices.json';
import tasksJson from './fixtures/tasks-open.json';

const tasks = tasksJson as TaskSummary[];
const sectors = sectorsJson as Sector[];
const guilds = guildsJson as Guild[];
const progress = progressJson as Progress;
const year = hoursJson as MemberYear;
const suggestions = suggestJson as SuggestionsInfo;

describe('the board from the node', () => {
  it('keeps the node order (most pressing first) when the UI sorts it again', () => {
    const shuffled = [...tasks].reverse();
    expect(sortPressing(shuffled).map((t) => t.id)).toEqual(tasks.map((t) => t.id));
  });
  it('every open task shows by default and lands in exactly one group', () => {
    const shown = filterTasks(tasks, EMPTY_FILTER);
    expect(shown).toHaveLength(tasks.length);
    const groups = groupBoard(shown, sectors, guilds);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(tasks.length);
    for (const g of groups) expect(sectors.some((s) => s.id === g.sector)).toBe(true);
  });
  it('the urgency filter finds the urgent ones', () => {
    const urgent = filterTasks(tasks, { ...EMPTY_FILTER, urgency: 'urgent' });
    expect(urgent.length).toBeGreaterThan(0);
    expect(urgent.every((t) => t.urgency === 'urgent')).toBe(true);
  });
  it('a task page has what the task page shows', () => {
    const t = taskJson as TaskDetail;
    expect(t.free).toBe(t.slots - t.taken);
    expect(Array.isArray(t.pledges)).toBe(true);
  });
});

describe('progress from the node', () => {
  it('the UI percent is the node percent, sector by sector and overall', () => {
    for (const p of [progress, progressJanJson as Progress]) {
      for (const s of p.sectors) expect(percentOf(s.done, s.goal)).toBe(s.percent);
      expect(percentOf(p.done, p.goal)).toBe(p.percent);
    }
  });
  it('months become a table of every sector', () => {
    const s = progressSeries([progress, progressJanJson as Progress]);
    expect(s.months).toEqual(['2026-01', progress.month]);
    expect(s.sectors.map((x) => x.sector)).toEqual(progress.sectors.map((x) => x.sector));
  });
  it('default sectors keep their default names, so they show translated', () => {
    expect(sectors.filter(hasDefaultName).map((s) => s.id)).toEqual(['food', 'healthcare', 'education', 'maintenance', 'governance', 'arts']);
  });
});

describe("my year from the node", () => {
  it('rows and totals add up to the node total', () => {
    const rows = yearRows(year);
    expect(rows).toHaveLength(year.sectors.length);
    const t = yearTotals(year);
    expect(t.hours).toBeCloseTo((year.total - year.other) / 60, 1);
    expect(t.baseline).toBe(year.total_baseline / 60);
  });
});

describe('suggestions from the node', () => {
  const ctx: ReasonContext = {
    skill: (s) => s,
    sector: (n) => n.toLowerCase(),
    list: (x) => new Intl.ListFormat('en', { type: 'conjunction' }).format(x),
  };
  it.each([
    ['en', en],
    ['es', es],
  ] as const)('every reason reads as a sentence in %s, with no key or placeholder left', (lang, messages) => {
    expect(suggestions.items.length).toBeGreaterThan(0);
    for (const s of suggestions.items)
      for (const r of s.reasons) {
        const text = reasonParts(r, ctx, s.minutes)
          .map((m) => renderMsg(m, (k, p) => translate(messages as MessageTree, lang, k, p, en)))
          .join('; ');
        expect(text, JSON.stringify(r.facts)).not.toMatch(/\{|\}|reasons\./);
        expect(text.length).toBeGreaterThan(5);
      }
  });
  it('in English, the worded reasons say what the node says', () => {
    // The UI writes hours as decimals ("3.5 h") where the node writes "3 h 30 min".
    const decimal = (h: number, m: number) => `${Math.round((h + m / 60) * 100) / 100} h`;
    const node = (x: string) =>
      x
        .replace(/(\d+) h (\d+) min/g, (_, h: string, m: string) => decimal(Number(h), Number(m)))
        .replace(/\b(\d+) min/g, (_, m: string) => decimal(0, Number(m)));
    const strip = (x: string) => x.replace(/[“”]/g, "'").replace(/, with (\d+)% of the month gone/, ', $1% of the month gone');
    for (const s of suggestions.items)
      for (const r of s.reasons) {
        if (r.term === 'rotation' || r.term === 'learned') continue; // worded a little differently on purpose
        const text = reasonParts(r, ctx, s.minutes)
          .map((m) => renderMsg(m, (k, p) => translate(en as MessageTree, 'en', k, p)))
          .join('; ');
        expect(strip(text)).toBe(node(r.text));
      }
  });
});

describe('other answers', () => {
  it('members carry profiles and never hours', () => {
    for (const m of membersJson as unknown as MemberInfo[]) {
      expect(m.profile).toBeDefined();
      expect(JSON.stringify(m)).not.toMatch(/"hours"|"total"/);
    }
  });
  it('pending entries are in minutes with a date', () => {
    const p = pendingJson as PendingInfo;
    for (const e of [...p.to_confirm, ...p.mine_unconfirmed]) {
      expect(Number.isInteger(e.minutes)).toBe(true);
      expect(e.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});

// The neighbours' fixtures are written by hand in the node's shapes (the demo has no
// neighbouring communities), for the browser preview of the Neighbours screen.
describe('neighbours in the preview', () => {
  const info = neighboursJson as NeighboursInfo;
  it('show each link state and the order by place', () => {
    expect(new Set(info.neighbours.map(linkState))).toEqual(new Set(['both', 'waiting', 'ended']));
    const live = byPlace(info.neighbours.filter((n) => n.live), 'en');
    expect(live.map((n) => n.name)).toEqual(['Coastal Care Collective', 'Hillside Commons', 'Bridge Street Neighbours']);
  });
  it("have our calls and our neighbours', one of each asking for help first", () => {
    const { theirs, ours } = splitCalls(callsJson as CallInfo[]);
    expect(theirs[0].escalated).toBe(true);
    expect(ours[0].escalated).toBe(true);
    expect(ours.every((c) => c.community === info.community)).toBe(true);
  });
  it('have offers and needs', () => {
    const { offers, needs } = splitNotices(noticesJson as NoticeInfo[]);
    expect(offers.length).toBeGreaterThan(0);
    expect(needs.length).toBeGreaterThan(0);
  });
  it('calls say the skills they ask for, when they ask for any', () => {
    const ctx = { skill: (s: string) => s, list: (x: string[]) => x.join(', ') };
    const calls = callsJson as CallInfo[];
    expect(calls.some((c) => c.skills.length === 0)).toBe(true);
    for (const c of calls) expect(callSkills(c, ctx) === null).toBe(c.skills.length === 0);
  });
  it("the needs suggested to a member are neighbours' open needs the Neighbours screen shows", () => {
    const { needs } = splitNotices(noticesJson as NoticeInfo[]);
    expect(suggestions.needs.length).toBeGreaterThan(0);
    for (const n of suggestions.needs) {
      const shown = needs.find((x) => x.id === n.need);
      expect(shown, n.need).toBeDefined();
      expect(shown?.ours).toBe(false);
      expect([shown?.title, shown?.community_name, shown?.sector]).toEqual([n.title, n.community, n.sector]);
      expect(n.score).toBe(n.reasons.reduce((sum, r) => sum + r.points, 0));
    }
  });
});

describe("needs suggested by the node", () => {
  const ctx: ReasonContext = {
    skill: (s) => s,
    sector: (n) => n.toLowerCase(),
    list: (x) => new Intl.ListFormat('en', { type: 'conjunction' }).format(x),
  };
  const worded = (messages: MessageTree, lang: string) =>
    suggestions.needs.flatMap((n) =>
      n.reasons.map((r) =>
        needReasonParts(r, ctx)
          .map((m) => renderMsg(m, (k, p) => translate(messages, lang, k, p, en)))
          .join('; '),
      ),
    );
  it.each([
    ['en', en],
    ['es', es],
  ] as const)('every reason reads as a sentence in %s, with no key or placeholder left', (lang, messages) => {
    for (const text of worded(messages as MessageTree, lang)) expect(text).not.toMatch(/\{|\}|reasons\./);
  });
  it('in English, the worded reasons say what the node says', () => {
    const node = suggestions.needs.flatMap((n) =>
      n.reasons.map((r) => r.text.replace(/(\d+) h (\d+) min/g, (_, h: string, m: string) => `${Number(h) + Number(m) / 60} h`)),
    );
    expect(worded(en as MessageTree, 'en')).toEqual(node);
  });
});
