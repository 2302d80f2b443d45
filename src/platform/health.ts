/**
 * Platform health, shown by GET /readyz: adapters report a configuration fault they met talking to
 * their platform (a wrong secret: WeCom gettoken 40001, DingTalk InvalidAuthentication; WeCom
 * 60020 "IP not allowed") and clear it once a call succeeds again. Per process.
 */
export interface PlatformProblem {
  /** Stable code, e.g. 'WECOM_TOKEN_FAILED'. */
  code: string;
  /** Short reason naming the platform's own error code, e.g. 'gettoken errcode 40001 invalid credential'. */
  message: string;
  /** When it was seen, ms since the epoch. */
  at: number;
}

/** What adapters call. `problem` null = healthy again. */
export type HealthReporter = (platform: string, problem: { code: string; message: string } | null) => void;

/** The registry behind /readyz. */
export class PlatformHealth {
  private readonly problems = new Map<string, PlatformProblem>();
  constructor(private readonly now: () => number = Date.now) {}

  /** The reporter handed to adapters (AdapterContext.health). */
  readonly report: HealthReporter = (platform, problem) => {
    if (problem === null) this.problems.delete(platform);
    else this.problems.set(platform, { ...problem, at: this.now() });
  };

  /** Current problems by platform (empty = all platforms healthy as far as this process knows). */
  current(): Record<string, PlatformProblem> {
    return Object.fromEntries(this.problems);
  }
}
