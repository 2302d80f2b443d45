/**
 * Child process of bench/load.ts: runs the fake WeCom API and the fake DingTalk (OpenAPI +
 * sessionWebhook) from test/fakes/ in their own process, so that answering the bot's background
 * replies does not take CPU time from the load generator's event loop.
 *
 * IPC protocol (process.send / 'message'):
 * - child -> parent once started: {@link FakesReady} (`type: 'ready'`) with both base URLs;
 * - parent -> child `{ type: 'counts' }` -> child answers {@link FakesCounts} (`type: 'counts'`),
 *   cumulative since start.
 * The fakes record every request in arrays; the child folds them into counters and empties the
 * arrays every second so that a long soak does not grow this process without bound.
 *
 * Started only by bench/load.ts with the credentials in bench/load-shared.ts (the bench gives the
 * bot the same ones).
 */
import { startFakeWecom } from '../test/fakes/wecom-api.ts';
import { startFakeDingtalk } from '../test/fakes/dingtalk-api.ts';
import { BENCH_DINGTALK, BENCH_WECOM, type FakesCounts, type FakesReady } from './load-shared.ts';

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/load-fakes.ts must be started by bench/load.ts (IPC channel missing)');
  const wecom = await startFakeWecom({ corpId: BENCH_WECOM.corpId, secret: BENCH_WECOM.secret, agentId: BENCH_WECOM.agentId });
  const ding = await startFakeDingtalk({ ...BENCH_DINGTALK });
  const counts: FakesCounts = {
    type: 'counts',
    wecomRequests: 0, wecomSent: 0, wecomErrors: 0,
    dingtalkRequests: 0, dingtalkWebhookOk: 0, dingtalkWebhookErrors: 0, dingtalkOto: 0, dingtalkGroup: 0, dingtalkErrors: 0,
  };

  function fold(): void {
    counts.wecomRequests += wecom.requests.length;
    counts.wecomSent += wecom.sent.length;
    counts.wecomErrors += wecom.requests.filter((r) => r.answer.errcode !== 0).length;
    counts.dingtalkRequests += ding.requests.length;
    counts.dingtalkWebhookOk += ding.webhookMessages.filter((m) => m.errcode === 0).length;
    counts.dingtalkWebhookErrors += ding.webhookMessages.filter((m) => m.errcode !== 0).length;
    counts.dingtalkOto += ding.otoMessages.length;
    counts.dingtalkGroup += ding.groupMessages.length;
    counts.dingtalkErrors += ding.requests.filter((r) => r.status !== 200 && !r.path.startsWith('/robot/')).length;
    wecom.reset();
    ding.reset();
  }

  const timer = setInterval(fold, 1000);
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'counts') {
      fold();
      process.send!({ ...counts });
    }
  });
  process.on('disconnect', () => {
    clearInterval(timer);
    void Promise.allSettled([wecom.close(), ding.close()]).then(() => process.exit(0));
  });
  const ready: FakesReady = { type: 'ready', wecomUrl: wecom.url, dingtalkUrl: ding.apiBase };
  process.send(ready);
}

await main();
