/** Constants and IPC messages shared by bench/load.ts and its child bench/load-fakes.ts. */

/** Credentials the fakes accept and the bench gives the bot. */
export const BENCH_WECOM = {
  corpId: 'wx5823bf96d3bd56c7',
  secret: 'bench-app-secret',
  agentId: 1000002,
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
} as const;

/** DingTalk app credentials the fake accepts and the bench gives the bot. */
export const BENCH_DINGTALK = { appKey: 'dingbenchkey', appSecret: 'dingbenchsecret', robotCode: 'dingbenchkey' } as const;

/** First message of the child: where the fakes listen. */
export interface FakesReady {
  type: 'ready';
  wecomUrl: string;
  dingtalkUrl: string;
}

/** Cumulative counts of what the fakes received since start. */
export interface FakesCounts {
  type: 'counts';
  /** Every HTTP request to the WeCom fake (gettoken, message/send, …). */
  wecomRequests: number;
  /** Accepted WeCom message/send bodies. */
  wecomSent: number;
  /** WeCom API answers with errcode != 0. */
  wecomErrors: number;
  /** Every HTTP request to the DingTalk fake. */
  dingtalkRequests: number;
  /** sessionWebhook posts answered errcode 0. */
  dingtalkWebhookOk: number;
  /** sessionWebhook posts answered with an error. */
  dingtalkWebhookErrors: number;
  /** Accepted oToMessages/batchSend calls. */
  dingtalkOto: number;
  /** Accepted groupMessages/send calls. */
  dingtalkGroup: number;
  /** DingTalk OpenAPI answers with an HTTP status other than 200. */
  dingtalkErrors: number;
}
