import type { Logger } from 'pino';
import { hashUserId } from '../../src/log.ts';
import type { BotResult, InboundMessage, MessageCommitter, PlatformAckPoint } from '../../src/platform/message.ts';
import type { ClaimGuard } from './claims.ts';
import type { AdapterContext } from '../../src/platform/adapter.ts';
import { settleBefore, settleWithin } from './settle.ts';

/**
 * Admission of one inbound message, shared by every adapter: the dedup claim, and — for a message
 * that may change state (a notice acknowledgement, an admin's confirmation) — the commit before
 * the platform is told the message arrived. Platforms never deliver a message again once it was
 * acknowledged (DingTalk after an HTTP 200 or a Stream ack frame, WeCom after a 200), so a crash
 * between "acknowledged" and "recorded" would lose it; committing first closes that gap
 * (docs/RELIABILITY.md, "Acknowledgements recorded before the platform is told").
 *
 * Order for a message the core says may change state:
 *   1. dedup claim as a short lease (`leaseMs`): a redelivery after a crash finds it expired;
 *   2. `committer.commit(m)` within `commitDeadlineMs` (counted from `startedAt`);
 *      not done in time, or failed → 'not-recorded': the claim is given back and the adapter must
 *      NOT acknowledge (HTTP 503, no Stream ack), so the platform's redelivery is handled;
 *   3. the adapter calls `acknowledging()` right before it tells the platform, then
 *      `acknowledged()` right after: the claim then lasts the full dedup TTL;
 *   4. `answer()` makes the reply, delivered after the acknowledgement.
 * Any other message: the dedup claim with the full TTL, acknowledge at once, `answer()` = the core's
 * `handle` (run in the background by the adapter).
 * A Feishu adapter uses it the same way: its HTTP answer (3 s deadline) or its WS event ack is step 3.
 */

/** What to do with one message. */
export type Admission =
  /** Already claimed (a platform retry or another instance's copy): acknowledge, answer nothing. */
  | { kind: 'duplicate' }
  /** A state change not recorded within the deadline (or its commit failed): do not acknowledge. */
  | { kind: 'not-recorded'; reason: 'late' | 'failed' }
  | {
      kind: 'admitted';
      /** True when the message was committed (it may have changed state) before this resolved. */
      committed: boolean;
      /** Call synchronously right before telling the platform (test seam: beforePlatformAck). */
      acknowledging(): void;
      /** Call once the platform was told: a committed message's claim gets its full TTL. */
      acknowledged(): void;
      /** The replies (after the acknowledgement). Never throws for user input. */
      answer(): Promise<BotResult>;
    };

/** Per-message parameters of {@link Admitter.admit}. */
export interface AdmitOptions {
  /** The dedup claim's key, e.g. 'dedup:dingtalk:<msgId>'. */
  dedupKey: string;
  /** The claim's value (default '1'); the AI bot keeps its stream id there. */
  claimValue?: string;
  /** Full dedup TTL in ms (how long a message id is remembered). */
  dedupTtlMs: number;
  /** When the platform's request arrived (performance.now() ms); default now. */
  startedAt?: number;
  /** Where the platform is told: for the test seam and logs. */
  channel: PlatformAckPoint['channel'];
}

/** The platform's timing for committed messages, from its adapter's limits. */
export interface AdmissionTimings {
  /** Longest time a commit may take before the platform must be answered, ms (Infinity = no deadline). */
  commitDeadlineMs: number;
  /** The dedup claim's lifetime while a message is being committed, ms: longer than the deadline,
   * shorter than the platform's first redelivery. */
  leaseMs: number;
  /**
   * The commit deadline as an event: resolves when the `ms` left have passed. Default: a real timer
   * of that length. Tests pass one they fire themselves, so no outcome depends on the machine's speed.
   */
  deadline?: (ms: number) => Promise<void>;
}

/** Admits messages for one adapter. */
export interface Admitter {
  admit(message: InboundMessage, options: AdmitOptions): Promise<Admission>;
}

/** Without a committer (tests of one adapter): nothing is a state change, answers come from `handle`. */
function handlerOnly(ctx: AdapterContext): MessageCommitter {
  return {
    mayChangeState: () => false,
    commit: async (m) => ({ answer: () => ctx.handle(m) }),
  };
}

/**
 * Creates the admitter of one adapter.
 * @param platform the adapter's id for logs and the test seam ('wecom', 'wecom-aibot', 'dingtalk')
 */
export function createAdmitter(ctx: AdapterContext, claims: ClaimGuard, log: Logger, platform: string, timings: AdmissionTimings): Admitter {
  const committer = ctx.committer ?? handlerOnly(ctx);
  return {
    async admit(message, options) {
      const startedAt = options.startedAt ?? performance.now();
      const stateful = committer.mayChangeState(message);
      const value = options.claimValue ?? '1';
      const first = await claims.claim(options.dedupKey, stateful ? timings.leaseMs : options.dedupTtlMs, value);
      if (!first) return { kind: 'duplicate' };
      const point: PlatformAckPoint = { platform, channel: options.channel, messageId: message.messageId, committed: stateful };
      if (!stateful) {
        return {
          kind: 'admitted',
          committed: false,
          acknowledging: () => ctx.beforePlatformAck?.(point),
          acknowledged: () => undefined,
          answer: () => ctx.handle(message),
        };
      }
      const left = timings.commitDeadlineMs - (performance.now() - startedAt);
      const commit = Promise.resolve().then(() => committer.commit(message));
      const outcome = timings.deadline ? await settleBefore(commit, timings.deadline(left)) : Number.isFinite(left) ? await settleWithin(commit, left) : await settle(commit);
      if (outcome.state !== 'done') {
        await claims.release(options.dedupKey);
        const user = hashUserId(message.platform, message.userId);
        if (outcome.state === 'late') {
          log.warn({ user, deadlineMs: timings.commitDeadlineMs }, 'state change not recorded within the platform deadline: not acknowledged, the platform delivers it again');
          // Whatever the commit still does is idempotent; its answer is left to the redelivery.
          commit.catch(() => undefined);
        } else {
          const e = outcome.error as { code?: string; message?: string };
          log.error({ user, code: e.code, err: e.message }, 'state change could not be recorded: not acknowledged, the platform delivers it again');
        }
        return { kind: 'not-recorded', reason: outcome.state };
      }
      return {
        kind: 'admitted',
        committed: true,
        acknowledging: () => ctx.beforePlatformAck?.(point),
        acknowledged: () => ctx.background(`${platform}.dedup`, () => claims.extend(options.dedupKey, options.dedupTtlMs, value)),
        answer: () => outcome.value.answer(),
      };
    },
  };
}

async function settle<T>(p: Promise<T>): Promise<{ state: 'done'; value: T } | { state: 'failed'; error: unknown }> {
  try {
    return { state: 'done', value: await p };
  } catch (error) {
    return { state: 'failed', error };
  }
}
