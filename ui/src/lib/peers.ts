// The network in words: how a peer was found, and each document's sync state.

import { msg, type Msg } from './i18n';
import type { DocSyncStatus, PeersInfo, PeerStatus } from './types';

export function foundByMsg(foundBy: string): Msg {
  switch (foundBy) {
    case 'mdns':
      return msg('peers.found.mdns');
    case 'address':
      return msg('peers.found.address');
    case 'relay':
      return msg('peers.found.relay');
    case 'inbound':
      return msg('peers.found.inbound');
    default:
      return msg('peers.found.other', { how: foundBy });
  }
}

/** A document's name in words: people, board, a year's ledger. */
export function docMsg(doc: string): Msg {
  if (doc === 'people') return msg('peers.doc.people');
  if (doc === 'board') return msg('peers.doc.board');
  const ledger = /^ledger\/(\d{4})$/.exec(doc);
  if (ledger) return msg('peers.doc.ledger', { year: ledger[1] });
  return msg('peers.doc.other', { name: doc });
}

export function syncMsg(d: DocSyncStatus): Msg {
  switch (d.state.state) {
    case 'in_sync':
      return msg('peers.sync.inSync');
    case 'syncing':
      return msg('peers.sync.syncing');
    case 'behind':
      return msg('peers.sync.behind', { count: d.state.changes });
    case 'failed':
      return msg('peers.sync.failed', { reason: d.state.reason });
  }
}

/** How a peer stands overall: the worst of its documents. */
export function peerState(p: PeerStatus): 'failed' | 'behind' | 'syncing' | 'in_sync' {
  const states = p.docs.map((d) => d.state.state);
  if (p.problem || states.includes('failed')) return 'failed';
  if (states.includes('behind')) return 'behind';
  if (states.includes('syncing')) return 'syncing';
  return 'in_sync';
}

/** The changes we lack in all, across peers (the largest gap per document). */
export function behindTotal(info: PeersInfo): number {
  const worst = new Map<string, number>();
  for (const p of info.peers)
    for (const d of p.docs)
      if (d.state.state === 'behind') {
        const key = `${d.community}/${d.doc}`;
        worst.set(key, Math.max(worst.get(key) ?? 0, d.state.changes));
      }
  return [...worst.values()].reduce((a, b) => a + b, 0);
}

/** What the member can do about the network as it stands, or null when all is well. */
export function networkAdvice(info: PeersInfo): Msg | null {
  if (!info.online) return msg('peers.advice.offline');
  if (!info.peers.length) return msg('peers.advice.alone');
  if (info.peers.some((p) => peerState(p) === 'failed')) return msg('peers.advice.failed');
  return null;
}
