// The node's and the shell's types, as the UI imports them. They are generated from the Rust
// types into ./contract.ts (never edited by hand); this module re-exports them and adds the
// few helper types of the UI's own.

import type { ExportFormatInput, NodeEvent as EventOfNode, Response, ShellEvent } from './contract';

export type * from './contract';

/** What arrives on the shell's `weft-event`: a node event, or the shell's own (`lagged`). */
export type NodeEvent = EventOfNode | ShellEvent;

/** The format of an export. */
export type ExportFormat = ExportFormatInput;

export type ResponseKind = Response['kind'];
/** The data of the response of a given kind. */
export type DataOf<K extends ResponseKind> = Extract<Response, { kind: K }>['data'];
