// A member's several computers and backups, as the Devices and Backup settings and the first
// run show them: plain view logic, no DOM and no node.

import { base64OfBytes } from './files';
import { msg, type Msg } from './i18n';
import type { DeviceInfo, DevicesInfo, PendingDevice } from './types';

/** How long a pairing code made in the app stays valid, in minutes. */
export const PAIRING_MINUTES = 10;
/** The name a new computer is given unless the person gives another. */
export const DEFAULT_LABEL_KEY = 'devices.defaultLabel';

/** Milliseconds left until `expires` (never below zero). */
export function msLeft(expires: number, now: number): number {
  return Math.max(0, expires - now);
}

/** A countdown as minutes and seconds, `9:05` (seconds rounded up: `0:00` only when over). */
export function countdown(ms: number): string {
  const seconds = Math.ceil(Math.max(0, ms) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Where linking another computer stands, as the Devices screen shows it. */
export type PairingStage =
  /** No code in progress (or the member put the last one away). */
  | { stage: 'none' }
  /** The code is shown; nobody has asked with it yet. */
  | { stage: 'waiting'; left: number }
  /** Computers asked with the code: the member compares their words. */
  | { stage: 'asking'; asking: PendingDevice[]; left: number }
  /** The member confirmed one: it is linked when it next asks. */
  | { stage: 'linking'; device: PendingDevice; left: number }
  /** A computer was linked with the code. */
  | { stage: 'linked'; label: string | null }
  /** The code ran out before a computer was linked. */
  | { stage: 'expired' };

/**
 * The pairing in `info` at `now`. `ignored`: computers whose words the member said did not
 * match (never offered again); `dismissed`: a code the member put away.
 */
export function pairingStage(
  info: DevicesInfo | null,
  now: number,
  ignored: ReadonlySet<string> = new Set(),
  dismissed: string | null = null,
): PairingStage {
  const p = info?.pairing;
  if (!p || p.code === dismissed) return { stage: 'none' };
  const confirmed = info.asking.find((a) => a.confirmed) ?? null;
  if (p.used) return { stage: 'linked', label: confirmed?.label ?? null };
  const left = msLeft(p.expires, now);
  if (left === 0) return { stage: 'expired' };
  if (confirmed) return { stage: 'linking', device: confirmed, left };
  const asking = info.asking.filter((a) => !ignored.has(a.device));
  return asking.length ? { stage: 'asking', asking, left } : { stage: 'waiting', left };
}

/** The member's devices in the order a person reads them: this computer, the other
 *  computers, the backups, then the revoked ones; oldest first within each. */
export function orderDevices(devices: readonly DeviceInfo[]): DeviceInfo[] {
  const rank = (d: DeviceInfo) => (d.revoked ? 3 : d.this ? 0 : d.kind === 'computer' ? 1 : 2);
  return [...devices].sort((a, b) => rank(a) - rank(b) || a.added_at - b.added_at || a.label.localeCompare(b.label));
}

// ---- backups ----

/** What the node asks of a backup's passphrase: 10 characters (spaces not counted), or three
 *  words of three letters or more (weft-core's `check_passphrase`). */
export function passphraseStrongEnough(p: string): boolean {
  const chars = [...p].filter((c) => !/\s/.test(c)).length;
  const words = p.split(/\s+/).filter((w) => [...w].length >= 3).length;
  return chars >= 10 || words >= 3;
}

export type Strength = 'empty' | 'weak' | 'enough' | 'strong';

/** How strong a passphrase is, for the hint under the field: the node's minimum is
 *  `enough`; four words or 16 characters is `strong`. */
export function passphraseStrength(p: string): Strength {
  if (!p.trim()) return 'empty';
  if (!passphraseStrongEnough(p)) return 'weak';
  const chars = [...p].filter((c) => !/\s/.test(c)).length;
  const words = p.split(/\s+/).filter((w) => [...w].length >= 3).length;
  return chars >= 16 || words >= 4 ? 'strong' : 'enough';
}

/** The passphrase typed twice: what is wrong with each field, if anything. */
export function checkPassphrase(p: string, again: string): { passphrase?: Msg; again?: Msg } {
  if (!p.trim()) return { passphrase: msg('backup.passEmpty') };
  if (!passphraseStrongEnough(p)) return { passphrase: msg('backup.passWeak') };
  if (p !== again) return { again: msg('backup.passDiffer') };
  return {};
}

/** A backup's file name, with the member's name and the day it was made. */
export function backupFileName(name: string, madeAt: number, ext: 'weftbackup' | 'html'): string {
  const who = name.normalize('NFKD').replace(/[^\w]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'me';
  const day = new Date(madeAt).toISOString().slice(0, 10);
  return ext === 'html' ? `weft-recovery-sheet-${who}-${day}.html` : `weft-backup-${who}-${day}.weftbackup`;
}

const MAGIC = [0x57, 0x45, 0x46, 0x54, 0x42, 0x41, 0x4b]; // "WEFTBAK"

/** What to send the node for a chosen file: a backup file's bytes in base64, a text file's
 *  text (typed-out sheet lines); null for anything else (the printed sheet's page, an image). */
export function backupFromFile(bytes: Uint8Array): string | null {
  if (MAGIC.every((b, i) => bytes[i] === b)) return base64OfBytes(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return /<html|<svg|<!doctype/i.test(text) || !text.trim() ? null : text;
}

/** The devices a restore revokes once back: every other computer, or those named (by name or
 *  id, separated by commas or lines). */
export function revokeList(allOthers: boolean, named: string): string[] {
  if (allOthers) return ['all'];
  return named
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
