import { describe, expect, it } from 'vitest';
import {
  backupFileName,
  backupFromFile,
  checkPassphrase,
  countdown,
  msLeft,
  orderDevices,
  pairingStage,
  passphraseStrength,
  passphraseStrongEnough,
  revokeList,
} from './devices';
import { checkPairingCode } from './validate';
import type { DeviceInfo, DevicesInfo, PendingDevice } from './types';

const NOW = Date.UTC(2026, 2, 14, 10, 0, 0);

const device = (over: Partial<DeviceInfo>): DeviceInfo => ({
  id: 'd0',
  label: 'Desk',
  kind: 'computer',
  added_at: 0,
  this: false,
  vouched_by: null,
  revoked: null,
  ...over,
});

const asking = (over: Partial<PendingDevice>): PendingDevice => ({
  device: 'n1',
  label: 'Laptop',
  words: ['otter', 'maple', 'river', 'cloud'],
  asked_at: NOW - 5_000,
  confirmed: false,
  ...over,
});

const info = (pairing: Partial<NonNullable<DevicesInfo['pairing']>> | null, ask: PendingDevice[] = []): DevicesInfo => ({
  devices: [],
  pairing: pairing && {
    code: 'abcdef-ghijkl',
    link: 'weft://join/abcdefghijkl?k=device',
    addresses: [],
    expires: NOW + 90_000,
    used: false,
    ...pairing,
  },
  asking: ask,
});

describe('the pairing countdown', () => {
  it('counts minutes and seconds, rounding the seconds up', () => {
    expect(countdown(10 * 60_000)).toBe('10:00');
    expect(countdown(9 * 60_000 + 5_000)).toBe('9:05');
    expect(countdown(59_001)).toBe('1:00');
    expect(countdown(1)).toBe('0:01');
    expect(countdown(0)).toBe('0:00');
    expect(countdown(-5_000)).toBe('0:00');
  });
  it('never goes below zero', () => {
    expect(msLeft(NOW + 1500, NOW)).toBe(1500);
    expect(msLeft(NOW - 1500, NOW)).toBe(0);
  });
});

describe('where linking a computer stands', () => {
  it('no code: nothing to show', () => {
    expect(pairingStage(null, NOW)).toEqual({ stage: 'none' });
    expect(pairingStage(info(null), NOW)).toEqual({ stage: 'none' });
  });
  it('a code nobody asked with yet waits, with the time left', () => {
    expect(pairingStage(info({}), NOW)).toEqual({ stage: 'waiting', left: 90_000 });
  });
  it('a computer asked: its words are compared, unless the member said they did not match', () => {
    const a = asking({});
    expect(pairingStage(info({}, [a]), NOW)).toEqual({ stage: 'asking', asking: [a], left: 90_000 });
    expect(pairingStage(info({}, [a]), NOW, new Set(['n1']))).toEqual({ stage: 'waiting', left: 90_000 });
    const b = asking({ device: 'n2', label: 'Other' });
    expect(pairingStage(info({}, [a, b]), NOW, new Set(['n1']))).toMatchObject({ stage: 'asking', asking: [b] });
  });
  it('confirmed: linking until the computer asks again; then linked, by its name', () => {
    const a = asking({ confirmed: true });
    expect(pairingStage(info({}, [a]), NOW)).toEqual({ stage: 'linking', device: a, left: 90_000 });
    expect(pairingStage(info({ used: true }, [a]), NOW)).toEqual({ stage: 'linked', label: 'Laptop' });
    // Linked stays linked once the code's time is over.
    expect(pairingStage(info({ used: true }, [a]), NOW + 100_000)).toEqual({ stage: 'linked', label: 'Laptop' });
    expect(pairingStage(info({ used: true }), NOW)).toEqual({ stage: 'linked', label: null });
  });
  it('a code whose time ran out unused has expired, even with a computer asking', () => {
    expect(pairingStage(info({}, [asking({})]), NOW + 90_000)).toEqual({ stage: 'expired' });
    expect(pairingStage(info({}, [asking({ confirmed: true })]), NOW + 91_000)).toEqual({ stage: 'expired' });
  });
  it('a code the member put away is not shown', () => {
    expect(pairingStage(info({ used: true }), NOW, new Set(), 'abcdef-ghijkl')).toEqual({ stage: 'none' });
    expect(pairingStage(info({ code: 'other' }), NOW, new Set(), 'abcdef-ghijkl')).toMatchObject({ stage: 'waiting' });
  });
});

describe("the member's devices", () => {
  it('this computer first, then the other computers, the backups, and the revoked ones', () => {
    const list = [
      device({ id: 'r', label: 'Old laptop', added_at: 1, revoked: { by: 'm', by_name: 'Ana', at: 5 } }),
      device({ id: 'b', label: 'Backup', kind: 'backup', added_at: 2 }),
      device({ id: 'o2', label: 'Kitchen', added_at: 4 }),
      device({ id: 't', label: 'Desk', added_at: 3, this: true }),
      device({ id: 'o1', label: 'Attic', added_at: 1 }),
    ];
    expect(orderDevices(list).map((d) => d.id)).toEqual(['t', 'o1', 'o2', 'b', 'r']);
    expect(list[0].id).toBe('r');
  });
});

describe("a backup's passphrase", () => {
  it("is strong enough as the node asks: 10 characters (spaces not counted) or three words of three letters", () => {
    for (const weak of ['', 'hunter2', 'short one', 'ab cd ef gh', '   abc   '])
      expect(passphraseStrongEnough(weak), weak).toBe(false);
    for (const fine of ['abcdefghij', 'red fox tea', 'Tr0ub4dor&3x', 'ñandú ñoño é', 'ab cd ef gh ij'])
      expect(passphraseStrongEnough(fine), fine).toBe(true);
  });
  it('is hinted at as the member types', () => {
    expect(passphraseStrength('')).toBe('empty');
    expect(passphraseStrength('   ')).toBe('empty');
    expect(passphraseStrength('hunter2')).toBe('weak');
    expect(passphraseStrength('red fox tea')).toBe('enough');
    expect(passphraseStrength('abcdefghij')).toBe('enough');
    expect(passphraseStrength('red fox tea pot')).toBe('strong');
    expect(passphraseStrength('abcdefghijklmnop')).toBe('strong');
  });
  it('is typed twice, the same', () => {
    expect(checkPassphrase('', '')).toEqual({ passphrase: { key: 'backup.passEmpty' } });
    expect(checkPassphrase('short', 'short')).toEqual({ passphrase: { key: 'backup.passWeak' } });
    expect(checkPassphrase('red fox tea', 'red fox tee')).toEqual({ again: { key: 'backup.passDiffer' } });
    expect(checkPassphrase('red fox tea', 'red fox tea')).toEqual({});
  });
});

describe('a backup file', () => {
  it("is named after the member and the day it was made", () => {
    expect(backupFileName('Ana Lima', NOW, 'weftbackup')).toBe('weft-backup-ana-lima-2026-03-14.weftbackup');
    expect(backupFileName('José', NOW, 'html')).toBe('weft-recovery-sheet-jose-2026-03-14.html');
    expect(backupFileName('***', NOW, 'weftbackup')).toBe('weft-backup-me-2026-03-14.weftbackup');
  });
  it("is sent to the node as base64, a text file as its text, and a printed sheet's page not at all", () => {
    const backup = new Uint8Array([...new TextEncoder().encode('WEFTBAK'), 1, 0, 255, 128]);
    expect(backupFromFile(backup)).toBe(Buffer.from(backup).toString('base64'));
    const lines = '1 abcd-efgh-ijkl x\n2 mnop-qrst z\n';
    expect(backupFromFile(new TextEncoder().encode(lines))).toBe(lines);
    expect(backupFromFile(new TextEncoder().encode('<!doctype html><html><svg></svg></html>'))).toBeNull();
    expect(backupFromFile(new Uint8Array([0xff, 0xfe, 0x00, 0x89]))).toBeNull();
    expect(backupFromFile(new Uint8Array())).toBeNull();
  });
});

describe('restoring', () => {
  it('revokes every other computer, or those named', () => {
    expect(revokeList(true, 'Kitchen laptop')).toEqual(['all']);
    expect(revokeList(false, '')).toEqual([]);
    expect(revokeList(false, ' Kitchen laptop, Attic\nold ')).toEqual(['Kitchen laptop', 'Attic', 'old']);
  });
});

describe('a pairing code', () => {
  const CODE = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop';
  it('is a code or a link of 48 letters, worded as a pairing code', () => {
    expect(checkPairingCode(CODE)).toBeNull();
    expect(checkPairingCode(`weft://join/${CODE}?k=device&a=/ip4/127.0.0.1/tcp/4001`)).toBeNull();
    expect(checkPairingCode(' ')).toEqual({ key: 'errors.pairingEmpty' });
    expect(checkPairingCode('https://example.org')).toEqual({ key: 'errors.pairingAlphabet' });
    expect(checkPairingCode('weft://other/x')).toEqual({ key: 'errors.pairingLink' });
    expect(checkPairingCode(CODE.slice(2))).toEqual({ key: 'errors.pairingLength', params: { count: 46 } });
  });
});
