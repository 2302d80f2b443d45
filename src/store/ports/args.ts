import { BotError } from '../../errors.ts';
import type { ArchivingStatus } from './store.ts';

/**
 * Argument checks of the key-value and status port, run once in front of either backend by the
 * checked facade (./checked.ts), so both reject the same bad input the same way: BotError code
 * 'STORE_BAD_ARGUMENT' (status 500 — a caller bug, not user input).
 */

/**
 * A TTL in ms as both backends can hold it: a finite number > 0, rounded up to a whole ms.
 * @throws BotError 'STORE_BAD_ARGUMENT' otherwise.
 */
export function checkTtlMs(ttlMs: number, method: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new BotError('STORE_BAD_ARGUMENT', `${method}: ttlMs must be a finite number of ms > 0, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}

/**
 * A key as both backends can hold it: a non-empty string.
 * @throws BotError 'STORE_BAD_ARGUMENT' otherwise.
 */
export function checkKey(key: string, method: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BotError('STORE_BAD_ARGUMENT', `${method}: key must be a non-empty string`);
  }
  return key;
}

/**
 * Shape check of a status before it is written (types only; CSV-level rules live in
 * src/archiving/status.ts). Never puts field values into the message (privacy).
 * @throws BotError 'STORE_BAD_ARGUMENT' naming the index and field.
 */
export function checkStatus(s: ArchivingStatus, index: number): void {
  const bad = (field: string): never => {
    throw new BotError('STORE_BAD_ARGUMENT', `putStatuses: status #${index} has an invalid ${field}`);
  };
  if (s === null || typeof s !== 'object') bad('record');
  if (typeof s.platform !== 'string' || s.platform.length === 0) bad('platform');
  if (typeof s.userId !== 'string' || s.userId.length === 0) bad('userId');
  if (typeof s.archived !== 'boolean') bad('archived');
  if (s.since !== null && typeof s.since !== 'string') bad('since');
  if (s.scope !== null && typeof s.scope !== 'string') bad('scope');
  if (typeof s.source !== 'string') bad('source');
  if (typeof s.updatedAt !== 'string') bad('updatedAt');
}
