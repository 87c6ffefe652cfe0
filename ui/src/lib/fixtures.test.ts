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
import { compareProposals, groupProposals, historyRows, KINDS, outcomeToWrite, RESULTS, STANCES_OF } from './decisions';
import type { CallInfo, NeighboursInfo, NoticeInfo, OutcomeInfo, ProposalInfo, RoundInfo, RoundResult, Stance, StanceInfo } from './types';
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
import communitiesJson from './fixtures/communities.json';
import proposalsJson from './fixtures/proposals.json';
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

// The proposals' fixture is the node's answer to `proposals` in shape (the first one was saved
// from `weft --json proposal list` and others' stances added by hand: one device takes only
// its own member's stances), for the Decisions screen's preview. Saved at 2026-12-07 10:00 UTC.
describe('decisions in the preview', () => {
  const proposals = proposalsJson as ProposalInfo[];
  // Every field of each type, and no other: the compiler checks these lists are whole.
  const PROPOSAL = {
    community: 1, id: 1, title: 1, details: 1, kind: 1, round_hours: 1, guild: 1, guild_name: 1, concern: 1,
    concern_note: 1, task: 1, task_title: 1, sector: 1, created_by: 1, created_by_name: 1, created_at: 1,
    updated_at: 1, status: 1, rounds: 1, history: 1, choices: 1, my_stance: 1, is_mine: 1, outcome: 1, review_due: 1,
  } satisfies Record<keyof ProposalInfo, 1>;
  const ROUND = { n: 1, opened: 1, closes: 1, closed_early: 1, result: 1, stances: 1, tally: 1 } satisfies Record<keyof RoundInfo, 1>;
  const STANCE = { member: 1, name: 1, stance: 1, reason: 1, at: 1, round: 1 } satisfies Record<keyof StanceInfo, 1>;
  const OUTCOME = { text: 1, by: 1, by_name: 1, at: 1, review: 1 } satisfies Record<keyof OutcomeInfo, 1>;
  const keys = (o: object) => Object.keys(o).sort();

  it('have every field of the contract and no other, at every level', () => {
    expect(proposals.length).toBeGreaterThan(0);
    for (const p of proposals) {
      expect(keys(p), p.id).toEqual(keys(PROPOSAL));
      for (const r of p.rounds) {
        expect(keys(r)).toEqual(keys(ROUND));
        for (const s of r.stances) expect(keys(s)).toEqual(keys(STANCE));
        for (const [stance, n] of r.tally) expect([typeof stance, typeof n]).toEqual(['string', 'number']);
      }
      for (const s of p.history) expect(keys(s)).toEqual(keys(STANCE));
      if (p.outcome) expect(keys(p.outcome)).toEqual(keys(OUTCOME));
      expect(p.community).toBe(communitiesJson[0].id);
    }
  });

  it('hold only values the contract allows, by the rules of each kind', () => {
    const results = new Set<RoundResult>(RESULTS);
    for (const p of proposals) {
      expect(KINDS).toContain(p.kind);
      expect(p.choices).toEqual(STANCES_OF[p.kind]);
      expect(['open', 'decided', 'not_decided', 'withdrawn']).toContain(p.status.state);
      for (const s of p.history) {
        expect(p.choices).toContain(s.stance);
        if (s.stance === 'objection' || s.stance === 'block') expect(s.reason, `${p.id} ${s.name}`).toBeTruthy();
      }
      for (const r of p.rounds) {
        if (r.result !== null) expect(results.has(r.result)).toBe(true);
        expect(r.tally.map(([s]) => s)).toEqual(p.choices);
        for (const [stance, n] of r.tally) expect(n).toBe(r.stances.filter((s) => s.stance === stance).length);
      }
    }
  });

  it('add up as the node computes them: results from the stances that count, status from the last round', () => {
    const me = (membersJson as unknown as MemberInfo[]).find((m) => m.is_me)?.id;
    const resultOf = (kind: ProposalInfo['kind'], counted: StanceInfo[]): RoundResult => {
      const n = (s: Stance) => counted.filter((x) => x.stance === s).length;
      if (!counted.length) return 'lapsed';
      if (kind === 'consent') return n('objection') ? 'objected' : n('consent') ? 'consented' : 'lapsed';
      if (kind === 'advice') return 'advised';
      return n('block') ? 'blocked' : n('agree') > n('disagree') ? 'agreed' : 'not-agreed';
    };
    for (const p of proposals) {
      p.rounds.forEach((r, i) => {
        expect(r.n).toBe(i + 1);
        if (i > 0) expect(r.opened).toBe(p.rounds[i - 1].closes);
        if (r.result) expect(r.result, `${p.id} round ${r.n}`).toBe(resultOf(p.kind, r.stances));
        for (const s of r.stances) expect(p.history).toContainEqual(s);
      });
      const last = p.rounds[p.rounds.length - 1];
      if (p.status.state === 'open') expect([p.status.round, last.result]).toEqual([last.n, null]);
      if (p.status.state === 'decided' || p.status.state === 'not_decided') expect(p.status.result).toBe(last.result);
      expect(p.my_stance, p.id).toBe(last.stances.find((s) => s.member === me)?.stance ?? null);
      expect(p.is_mine).toBe(p.created_by === me);
      expect(p.history.map((s) => s.at)).toEqual([...p.history.map((s) => s.at)].sort((a, b) => a - b));
    }
  });

  it('keep the node order when the UI sorts them again, and show every state the screen has', () => {
    expect([...proposals].reverse().sort(compareProposals).map((p) => p.id)).toEqual(proposals.map((p) => p.id));
    const g = groupProposals(proposals);
    expect(g.open.length).toBeGreaterThan(1);
    expect(g.review.length).toBe(1);
    expect(new Set(proposals.map((p) => p.status.state))).toEqual(new Set(['open', 'decided', 'not_decided', 'withdrawn']));
    expect(proposals.some(outcomeToWrite)).toBe(true);
    expect(proposals.some((p) => p.rounds.length > 1 && p.rounds[0].closed_early)).toBe(true);
    expect(proposals.flatMap((p) => historyRows(p).map((r) => r.state))).toContain('changed');
  });
});
