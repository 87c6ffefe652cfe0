// A node error in the member's language: its typed detail (what exactly was refused, with its
// values) worded from the locale's `errorDetails`; the node's English message only for an
// error that has no detail, or a detail that has no words.

import { clockOf, hoursOf } from './format';
import { msg, type Msg, type MsgParams } from './i18n';
import type { ApiError, ErrorDetail } from './types';

type Kind = ErrorDetail['kind'];

/** Kinds whose numbers are durations in minutes, shown in hours. */
const IN_HOURS: ReadonlySet<Kind> = new Set<Kind>(['entry_hours', 'task_hours', 'week_hours', 'baseline']);
/** Kinds whose `time` is a time of day in minutes after midnight, shown as "19:30". */
const TIME_OF_DAY: ReadonlySet<Kind> = new Set<Kind>(['meeting_time']);
/** The value that picks a plural form, by kind. */
const COUNT: Partial<Record<Kind, string>> = {
  date_too_old: 'max_days',
  task_full: 'slots',
  ambiguous_task: 'matches',
  ambiguous_entry: 'matches',
  ambiguous_proposal: 'matches',
  ambiguous_concern: 'matches',
  ambiguous_series: 'matches',
  ambiguous_crew: 'matches',
  ambiguous_gathering: 'matches',
  ambiguous_device: 'matches',
  invite_code_length: 'len',
};

/** Values the locale has words for (a stance, a kind of proposal), by parameter name. */
const WORDED: Record<string, (v: string) => Msg> = {
  stance: (v) => msg(`decisions.stanceNoun.${v}`),
  proposal_kind: (v) => msg(`decisions.kindNoun.${v}`),
};

/** A detail's values as message parameters: fields and things named, lists joined, minutes in hours, times of day as a clock shows them. */
function detailParams(d: ErrorDetail): MsgParams {
  const out: MsgParams = {};
  for (const [k, v] of Object.entries(d) as [string, unknown][]) {
    if (k === 'kind' || v === null || v === undefined) continue;
    if (k === 'field') out[k] = msg(`fields.${String(v)}`);
    else if (k === 'thing') out[k] = msg(`things.${String(v)}`);
    else if (k in WORDED && typeof v === 'string') out[k] = WORDED[k](v);
    else if (Array.isArray(v)) out[k] = v.join(', ');
    else if (k === 'time' && typeof v === 'number' && TIME_OF_DAY.has(d.kind)) out[k] = clockOf(v);
    else if (typeof v === 'number') out[k] = IN_HOURS.has(d.kind) ? hoursOf(v) : v;
    else out[k] = String(v);
  }
  const count = COUNT[d.kind];
  if (count !== undefined && out[count] !== undefined) out.count = out[count];
  return out;
}

/** The message for an error's detail, in the member's language (null: the error has none). */
export function detailMsg(d: ErrorDetail | null | undefined): Msg | null {
  return d ? msg(`errorDetails.${d.kind}`, detailParams(d)) : null;
}

/**
 * What to show for a node error, rendered with `render` (the app's `tm`): its detail in
 * words, or the node's own message when it has no detail or the detail has no words.
 */
export function errorText(e: Pick<ApiError, 'message' | 'detail'>, render: (m: Msg) => string): string {
  const m = detailMsg(e.detail);
  if (m) {
    const text = render(m);
    if (text !== m.key) return text;
  }
  return e.message;
}
