// The feedback asks remembered on this device (see `feedback.ts`), as shared reactive state:
// the task page and the hours form note work done, the For you screen asks and forgets.

import { answered, noteDone, parseAsks, type AskState, type DoneWork } from './feedback';

const KEY = 'weft.feedbackAsks';

function load(): AskState {
  try {
    return parseAsks(globalThis.localStorage?.getItem(KEY) ?? null);
  } catch {
    return parseAsks(null);
  }
}

export const asks = $state<{ state: AskState }>({ state: load() });

function save(): void {
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(asks.state));
  } catch {
    /* private mode: asked again next time */
  }
}

/** The member did their part of a task or logged hours to it: ask how it was, once. */
export function doneWith(w: DoneWork): void {
  asks.state = noteDone(asks.state, w);
  save();
}

/** Feedback given (anywhere) or the ask waved away: not asked again. */
export function feedbackGiven(task: string): void {
  asks.state = answered(asks.state, task);
  save();
}
