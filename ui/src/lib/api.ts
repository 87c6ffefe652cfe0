// The one door to the node: `execute` for requests, `onNodeEvent` / `onLink` for what the
// shell emits. Everything goes through a Transport so tests and the browser preview can
// stand in for the Tauri shell.

import { ERROR_CODES } from './contract';
import type { ApiError, AppInfo, DataOf, ErrorCode, ErrorDetail, NodeEvent, Request, Response, ResponseKind } from './types';

export type Unlisten = () => void;

export interface Transport {
  invoke<T>(command: string, args?: Record<string, unknown>): Promise<T>;
  listen<T>(event: string, handler: (payload: T) => void): Promise<Unlisten>;
}

const CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/**
 * An error from the node as the UI shows it: a code to branch on, the detail to word in the
 * member's language (`errorText`), and the node's English message for errors without one.
 */
export class WeftError extends Error implements ApiError {
  readonly code: ErrorCode;
  readonly detail: ErrorDetail | null;
  constructor(code: ErrorCode, message: string, detail: ErrorDetail | null = null) {
    super(message);
    this.name = 'WeftError';
    this.code = code;
    this.detail = detail;
  }
}

/** A detail as the node sends it: an object with a `kind` (anything else is dropped). */
function asDetail(d: unknown): ErrorDetail | null {
  return d && typeof d === 'object' && typeof (d as { kind?: unknown }).kind === 'string' ? (d as ErrorDetail) : null;
}

/** Turns whatever a rejected command gave us into `{ code, message, detail }`. */
export function toApiError(e: unknown): WeftError {
  if (e instanceof WeftError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const { code, message, detail } = e as { code: unknown; message: unknown; detail?: unknown };
    const c = typeof code === 'string' && CODES.has(code) ? (code as ErrorCode) : 'internal';
    return new WeftError(c, String(message), asDetail(detail));
  }
  if (typeof e === 'string') {
    // The shell promises JSON; a string may still be the JSON of an ApiError.
    try {
      const parsed: unknown = JSON.parse(e);
      if (parsed && typeof parsed === 'object' && 'code' in parsed) return toApiError(parsed);
    } catch {
      /* not JSON: fall through */
    }
    return new WeftError('internal', e);
  }
  if (e instanceof Error) return new WeftError('internal', e.message);
  return new WeftError('internal', String(e));
}

let transport: Transport | null = null;

export function setTransport(t: Transport): void {
  transport = t;
}

function current(): Transport {
  if (!transport) throw new WeftError('internal', 'the app is not connected to its node');
  return transport;
}

/** Whether this page runs inside the Tauri shell. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** The Tauri shell as a Transport (loaded lazily so unit tests never touch it). */
export async function tauriTransport(): Promise<Transport> {
  const [{ invoke }, { listen }] = await Promise.all([import('@tauri-apps/api/core'), import('@tauri-apps/api/event')]);
  return {
    invoke: <T>(command: string, args?: Record<string, unknown>) => invoke<T>(command, args),
    listen: async <T>(event: string, handler: (payload: T) => void) => listen<T>(event, (e) => handler(e.payload)),
  };
}

// ---- test hooks: what an action costs --------------------------------------------------
// The end-to-end tests weigh an action by what the page asked of the node. The page keeps
// three small tallies on `window` (counting is all they do): requests sent, by `op`
// (`__weftRequests`); node events received, by kind (`__weftEvents`: `document_changed:board`,
// `network_changed`…); and `__weftIdle()`, true when no request is on its way and no module
// has work scheduled (see `whileBusy`).

/** Requests sent to the node, by `op`. */
export const requestCounts: Record<string, number> = {};
/** Node events received, by kind (and document). */
export const eventCounts: Record<string, number> = {};
let inFlight = 0;
const busyProbes: (() => boolean)[] = [];

/** Registers a probe that says whether a module has work scheduled (a timer set to re-read). */
export function whileBusy(probe: () => boolean): void {
  busyProbes.push(probe);
}

/** Nothing on its way to the node and nothing scheduled. */
export function idle(): boolean {
  return inFlight === 0 && !busyProbes.some((p) => p());
}

if (typeof window !== 'undefined') {
  Object.assign(window, { __weftRequests: requestCounts, __weftEvents: eventCounts, __weftIdle: idle });
}

/** Told of every request as it leaves and when it is answered or refused (the read cache). */
export interface RequestObserver<T = unknown> {
  sent(request: Request): T;
  answered(token: T, ok: boolean): void;
}

let observer: RequestObserver | null = null;

export function observeRequests<T>(o: RequestObserver<T> | null): void {
  observer = o as RequestObserver | null;
}

/** Sends a request and returns the response's data, checking it is of the expected kind. */
export async function execute<K extends ResponseKind>(request: Request, expect: K): Promise<DataOf<K>> {
  requestCounts[request.op] = (requestCounts[request.op] ?? 0) + 1;
  const seen = observer;
  const token = seen?.sent(request);
  let response: Response;
  inFlight++;
  try {
    response = await current().invoke<Response>('execute', { request });
  } catch (e) {
    seen?.answered(token, false);
    throw toApiError(e);
  } finally {
    inFlight--;
  }
  seen?.answered(token, true);
  if (!response || response.kind !== expect) {
    throw new WeftError('internal', `expected a '${expect}' answer, got '${response?.kind ?? 'nothing'}'`);
  }
  return response.data as DataOf<K>;
}

export async function appInfo(): Promise<AppInfo> {
  try {
    return await current().invoke<AppInfo>('app_info');
  } catch (e) {
    throw toApiError(e);
  }
}

export async function saveFile(path: string, base64: string): Promise<void> {
  try {
    await current().invoke<void>('save_file', { path, base64 });
  } catch (e) {
    throw toApiError(e);
  }
}

export async function onNodeEvent(handler: (e: NodeEvent) => void): Promise<Unlisten> {
  return current().listen<NodeEvent>('weft-event', (e) => {
    const kind = 'doc' in e ? `${e.event}:${e.doc}` : e.event;
    eventCounts[kind] = (eventCounts[kind] ?? 0) + 1;
    handler(e);
  });
}

export async function onLink(handler: (link: string) => void): Promise<Unlisten> {
  return current().listen<string>('weft-link', handler);
}
