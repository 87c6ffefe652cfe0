// A suggestion's reasons, worded from the matcher's `facts` in the member's language (the
// English `text` the node also sends is not shown). Each reason becomes one or more messages.

import { LIMITS } from './contract';
import { msg, type Msg } from './i18n';
import { hoursOf } from './format';
import type { Feature, NeedReason, NeedSuggestion, Reason, Suggestion } from './types';

/** What wording a reason needs from its surroundings: names in the member's language. */
export interface ReasonContext {
  /** A skill slug as words ("first-aid" → "first aid" / "primeros auxilios"). */
  skill(slug: string): string;
  /** A sector's name as the facts give it, as words inside a sentence. */
  sector(name: string): string;
  /** "a, b and c". */
  list(items: string[]): string;
}

/** The matcher's own short tasks: a lighter task is one of at most this many minutes. */
export const SHORT_TASK_MINUTES = LIMITS.shortTaskMinutes;

/** What a learned preference is about, in the member's language. */
function featureMsg(f: Feature, ctx: ReasonContext): Msg {
  switch (f.kind) {
    case 'size':
      return msg(`reasons.feature.${f.size}`);
    case 'guild':
      return msg('reasons.feature.guild', { guild: f.name });
    case 'skills':
      return msg('reasons.feature.skills', { skills: ctx.list(f.skills.map((s) => ctx.skill(s))) });
    case 'sector':
      return msg('reasons.feature.sector', { sector: ctx.sector(f.name) });
  }
}

/**
 * The messages for one reason. `taskMinutes` is the suggested task's size (the load reason
 * mentions a lighter task only for short ones, as the matcher does).
 */
export function reasonParts(r: Reason, ctx: ReasonContext, taskMinutes: number): Msg[] {
  const f = r.facts;
  switch (f.kind) {
    case 'plan':
      return [msg('reasons.plan')];
    case 'skill': {
      const out: Msg[] = [];
      if (!f.known.length && !f.learning.length && !f.missing.length) out.push(msg('reasons.skill.none'));
      if (f.known.length)
        out.push(
          msg('reasons.skill.known', {
            skills: ctx.list(f.known.map(([s, level]) => `${ctx.skill(s)} (${level}/5)`)),
          }),
        );
      if (f.learning.length)
        out.push(msg('reasons.skill.learning', { skills: ctx.list(f.learning.map((s) => ctx.skill(s))) }));
      if (f.missing.length)
        out.push(msg('reasons.skill.missing', { skills: ctx.list(f.missing.map((s) => ctx.skill(s))) }));
      return out;
    }
    case 'interest': {
      const sector = ctx.sector(f.sector);
      if (f.level === null || f.level === undefined) return [msg('reasons.interest.unknown', { sector })];
      const level = Math.max(0, Math.min(5, f.level));
      return [msg(`reasons.interest.l${level}`, { sector, level })];
    }
    case 'rotation':
      return [
        msg('reasons.rotation.sector', {
          sector: ctx.sector(f.sector),
          done: hoursOf(f.done),
          baseline: hoursOf(f.baseline),
          expected: hoursOf(f.expected),
        }),
        msg('reasons.rotation.total', { total: hoursOf(f.total), expected: hoursOf(f.total_expected) }),
      ];
    case 'sector':
      return [
        msg('reasons.sector', { sector: ctx.sector(f.sector), percent: f.percent, month: f.month_percent }),
      ];
    case 'urgency': {
      // Plural on the number of places, as in "1 of 1 place" / "1 of 3 places".
      const places = msg('reasons.urgency.places', { free: f.free, count: f.slots });
      const out: Msg[] = [msg(`reasons.urgency.${f.urgency}`, { places })];
      if (f.stand_ins > 0) out.push(msg('reasons.urgency.standIns', { count: f.stand_ins }));
      if (f.waiting_days > 0) out.push(msg('reasons.urgency.waiting', { count: f.waiting_days }));
      const d = f.deadline_days;
      if (d !== null && d !== undefined) {
        if (d < 0) out.push(msg('reasons.urgency.deadlinePassed'));
        else if (d === 0) out.push(msg('reasons.urgency.deadlineToday'));
        else if (d < 14) out.push(msg('reasons.urgency.deadlineIn', { count: d }));
      }
      return out;
    }
    case 'load': {
      const out: Msg[] = [msg('reasons.load.week', { after: hoursOf(f.after), week: hoursOf(f.week) })];
      if (f.heavy_sector) {
        const sector = ctx.sector(f.heavy_sector);
        const hours = hoursOf(f.heavy_minutes);
        if (f.same_sector) out.push(msg('reasons.load.sameSector', { sector, hours }));
        else if (taskMinutes <= SHORT_TASK_MINUTES) out.push(msg('reasons.load.lighter', { sector, hours }));
      }
      return out;
    }
    case 'learned': {
      const feature = featureMsg(f.feature, ctx);
      return r.points > 0
        ? [msg('reasons.learned.liked', { count: f.liked, feature })]
        : [msg('reasons.learned.disliked', { count: f.disliked, feature })];
    }
    case 'travel':
      return [msg('reasons.travel', { community: f.community })];
    case 'gathering':
      return [msg('reasons.gathering', { title: f.title })];
    default:
      return [msg('reasons.unknown', { text: (r as Reason).text })];
  }
}

/** Whether a reason counts for the suggestion, against it, or is neutral. */
export function reasonTone(r: Reason): 'for' | 'against' | 'neutral' {
  if (r.term === 'plan') return 'for';
  if (r.points > 0) return 'for';
  if (r.points < 0) return 'against';
  return 'neutral';
}

/**
 * The reasons worth showing first: the plan, then the rest by how much they weigh (both
 * ways), keeping the matcher's order among equals.
 */
export function orderedReasons(s: Suggestion): Reason[] {
  return s.reasons
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      if (a.r.term === 'plan') return -1;
      if (b.r.term === 'plan') return 1;
      return Math.abs(b.r.points) - Math.abs(a.r.points) || a.i - b.i;
    })
    .map((x) => x.r);
}

/**
 * The messages for one reason a neighbour's need suits the member: a skill it names, their
 * interest in its sector (worded as for a task), hours they gave to that sector, and travel.
 */
export function needReasonParts(r: NeedReason, ctx: ReasonContext): Msg[] {
  const f = r.facts;
  switch (f.kind) {
    case 'skill':
      return [
        msg('reasons.need.skill', { skills: ctx.list(f.skills.map(([s, level]) => `${ctx.skill(s)} (${level}/5)`)) }),
      ];
    case 'interest': {
      const level = Math.max(0, Math.min(5, f.level));
      return [msg(`reasons.interest.l${level}`, { sector: ctx.sector(f.sector), level })];
    }
    case 'hours':
      return [msg('reasons.need.hours', { hours: hoursOf(f.minutes), sector: ctx.sector(f.sector) })];
    case 'travel':
      return [msg(f.willing ? 'reasons.need.travel' : 'reasons.need.travelNot', { community: f.community })];
    default:
      return [msg('reasons.unknown', { text: (r as NeedReason).text })];
  }
}

/** Whether a need's reason counts for it, against it, or is neutral. */
export function needReasonTone(r: NeedReason): 'for' | 'against' | 'neutral' {
  return r.points > 0 ? 'for' : r.points < 0 ? 'against' : 'neutral';
}

/** A need's reasons, those that weigh most (both ways) first, keeping the matcher's order among equals. */
export function orderedNeedReasons(n: NeedSuggestion): NeedReason[] {
  return n.reasons
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Math.abs(b.r.points) - Math.abs(a.r.points) || a.i - b.i)
    .map((x) => x.r);
}
