// Reminders as desktop notifications: which are due now, each once. Plain functions over what
// the node says, tested with fixed dates; `app.svelte.ts` reads, sends and remembers.
//
// Each kind of reminder is a source: a function from what was read (`ReminderInput`) to
// reminders. More sources add a kind, what they need in the input, and a function in
// `SOURCES`; choosing, once-only and the setting come with them.

import { nextMeeting } from './crews';
import { addDays, clockOf } from './format';
import { msg, type Msg } from './i18n';
import type { PledgedDay } from './ics';
import type { CrewInfo, DateStr, GatheringInfo, ProposalInfo, TaskDetail } from './types';

export type ReminderKind = 'pledge' | 'proposal' | 'review' | 'crew' | 'gathering';
/** Every kind, in the order Settings lists them. */
export const REMINDER_KINDS: readonly ReminderKind[] = ['pledge', 'proposal', 'review', 'crew', 'gathering'];

export interface Reminder {
  /** Once per key: a pledge's day, a proposal's round, an outcome's review date, a crew's meeting, a gathering. */
  key: string;
  kind: ReminderKind;
  title: Msg;
  body: Msg;
}

export interface ReminderInput {
  /** The member's day (`YYYY-MM-DD`, where they are). */
  today: DateStr;
  /** Now (ms). */
  now: number;
  /** The member's pledged work with its day (the pledge's own, else the task's). */
  pledged: readonly PledgedDay[];
  /** Proposals of the member's communities (the `proposals` read). */
  proposals: readonly ProposalInfo[];
  /** Crews of the member's communities (the `crews` read). */
  crews: readonly CrewInfo[];
  /** Gatherings to come of the member's communities (the `gatherings` read). */
  gatherings: readonly GatheringInfo[];
}

/** A proposal's last hours in which a member who took no stance is reminded. */
export const CLOSING_WITHIN_MS = 24 * 3_600_000;
/** How many reminder keys are remembered (the oldest forgotten first). */
export const REMEMBER_REMINDED = 500;

/** Pledged work whose day is today or tomorrow. */
export function pledgeReminders(input: ReminderInput): Reminder[] {
  const tomorrow = addDays(input.today, 1);
  return input.pledged
    .filter((p) => p.day === input.today || p.day === tomorrow)
    .map((p) => ({
      key: `pledge:${p.task}:${p.day}`,
      kind: 'pledge',
      title: msg('remind.pledgeTitle'),
      body: msg(p.day === input.today ? 'remind.pledgeToday' : 'remind.pledgeTomorrow', { title: p.title }),
    }));
}

/** When a proposal's open round closes (ms), or null when none is open. */
export function openRoundCloses(p: ProposalInfo): number | null {
  if (p.status.state !== 'open') return null;
  const round = p.status.round;
  return p.rounds.find((r) => r.n === round)?.closes ?? null;
}

/**
 * The pledged work a pledge reminder would be sent for now and has not been: the few a look
 * at the task's page confirms before anything is sent (`stillToDo`).
 */
export function pledgesToCheck(input: ReminderInput, sent: ReadonlySet<string>): PledgedDay[] {
  return input.pledged.filter((p) => pledgeReminders({ ...input, pledged: [p] }).some((r) => !sent.has(r.key)));
}

/** Open proposals closing within a day on which the member may take a stance and has not. */
export function proposalReminders(input: ReminderInput): Reminder[] {
  return input.proposals.flatMap((p): Reminder[] => {
    const closes = openRoundCloses(p);
    if (closes === null || p.my_stance !== null || !p.choices.length) return [];
    if (closes <= input.now || closes - input.now > CLOSING_WITHIN_MS) return [];
    const round = p.status.state === 'open' ? p.status.round : 0;
    return [{ key: `proposal:${p.id}:${round}`, kind: 'proposal', title: msg('remind.proposalTitle'), body: msg('remind.proposal', { title: p.title }) }];
  });
}

/** Outcomes whose review date has come. */
export function reviewReminders(input: ReminderInput): Reminder[] {
  return input.proposals
    .filter((p) => p.review_due && p.outcome)
    .map((p) => ({
      key: `review:${p.id}:${p.outcome?.review ?? ''}`,
      kind: 'review',
      title: msg('remind.reviewTitle'),
      body: msg('remind.review', { title: p.title }),
    }));
}

/**
 * The meetings of the member's crews (those they have a place in, still meeting) today or
 * tomorrow, each once: the day before, or on the day when that is the first look. The day is
 * worked out from the crew's rhythm, not from an answer that may be a day old.
 */
export function crewReminders(input: ReminderInput): Reminder[] {
  const tomorrow = addDays(input.today, 1);
  return input.crews.flatMap((c): Reminder[] => {
    if (!c.mine || c.waiting_for_place || c.ended || !c.rhythm) return [];
    const day = nextMeeting(c, input.today);
    if (day !== input.today && day !== tomorrow) return [];
    const { place } = c.rhythm;
    const params = { name: c.name, time: clockOf(c.rhythm.time), place: place ?? '' };
    const body =
      day === input.today
        ? msg(place ? 'remind.crewTodayAt' : 'remind.crewToday', params)
        : msg(place ? 'remind.crewTomorrowAt' : 'remind.crewTomorrow', params);
    return [{ key: `crew:${c.id}:${day}`, kind: 'crew', title: msg('remind.crewTitle'), body }];
  });
}

/** A gathering the member said they are coming to, the day before it starts, once. */
export function gatheringReminders(input: ReminderInput): Reminder[] {
  const tomorrow = addDays(input.today, 1);
  return input.gatherings
    .filter((g) => g.coming === true && !g.cancelled && g.starts === tomorrow)
    .map((g) => ({
      key: `gathering:${g.id}:${g.starts}`,
      kind: 'gathering',
      title: msg('remind.gatheringTitle'),
      body: g.place ? msg('remind.gatheringAt', { title: g.title, place: g.place }) : msg('remind.gathering', { title: g.title }),
    }));
}

export const SOURCES: Record<ReminderKind, (input: ReminderInput) => Reminder[]> = {
  pledge: pledgeReminders,
  proposal: proposalReminders,
  review: reviewReminders,
  crew: crewReminders,
  gathering: gatheringReminders,
};

/** The reminders due now of the kinds the member wants, not sent before. */
export function dueReminders(
  input: ReminderInput,
  wanted: Readonly<Record<ReminderKind, boolean>>,
  sent: ReadonlySet<string>,
): Reminder[] {
  const out: Reminder[] = [];
  for (const kind of REMINDER_KINDS) {
    if (!wanted[kind]) continue;
    for (const r of SOURCES[kind](input)) if (!sent.has(r.key) && !out.some((o) => o.key === r.key)) out.push(r);
  }
  return out;
}

/** The kinds whose reminders need the node's reads: none wanted, nothing to read. */
export function anyWanted(wanted: Readonly<Record<ReminderKind, boolean>>): boolean {
  return REMINDER_KINDS.some((k) => wanted[k]);
}

/**
 * Whether pledged work found in the calendar is still the member's to do, by the task's page:
 * their pledge holds a place (not done, not handed over) on a task still open. A task this
 * community does not hold (a neighbour's call they visit) is taken as the calendar says.
 */
export function stillToDo(task: TaskDetail | null, me: string | null): boolean {
  if (!task) return true;
  if (task.status !== 'open' || task.my_pledge !== 'pledged') return false;
  const mine = task.pledges.find((p) => p.member === me);
  return !mine?.handed_over_to;
}

/** The remembered keys after sending `fresh`: newest last, within a bound. */
export function rememberSent(sent: readonly string[], fresh: readonly Pick<Reminder, 'key'>[]): string[] {
  const keys = fresh.map((r) => r.key);
  return [...sent.filter((k) => !keys.includes(k)), ...keys].slice(-REMEMBER_REMINDED);
}
