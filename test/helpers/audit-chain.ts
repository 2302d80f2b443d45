import assert from 'node:assert/strict';
import { genesisHash, rowHash, type ChainHeader } from '../../src/store/ports/audit-chain.ts';
import type { AuditEvent } from '../../src/store/ports/notices.ts';

/**
 * Asserts that `events` (a broadcast's audit log as the store lists it) is one linear hash chain
 * (docs/EVIDENCE.md): seq 1, 2, 3… with no gap or repeat, each prevHash the hash of the entry
 * before (the first: the genesis hash of `header`), and each hash what src/store/ports/audit-chain.ts
 * computes from the entry's fields.
 */
export function assertLinearChain(events: readonly AuditEvent[], header: ChainHeader): void {
  let prev = genesisHash(header);
  events.forEach((e, i) => {
    assert.equal(e.seq, i + 1, `entry ${i + 1}: seq`);
    assert.equal(e.prevHash, prev, `entry ${i + 1}: prevHash is the hash of the entry before`);
    assert.equal(e.broadcastId, header.broadcastId);
    assert.ok(Number.isSafeInteger(e.at), `entry ${i + 1}: integer ms`);
    assert.equal(e.hash, rowHash({ seq: e.seq, prevHash: e.prevHash, broadcastId: e.broadcastId, at: e.at, userId: e.userId, from: e.from, to: e.to, reason: e.reason }), `entry ${i + 1}: hash`);
    prev = e.hash;
  });
}
