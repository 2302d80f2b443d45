/**
 * Errors with stable codes. Every error the product raises on purpose is a {@link BotError};
 * `code` is stable (tests, logs and HTTP answers use it), `message` is for humans.
 */
export class BotError extends Error {
  /** Stable machine-readable code, e.g. 'CONFIG_INVALID', 'KB_INVALID', 'WECOM_BAD_SIGNATURE'. */
  readonly code: string;
  /** HTTP status to answer with when this error ends a request (4xx for bad input). */
  readonly status: number;
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BotError';
    this.code = code;
    this.status = options.status ?? 500;
  }
}

/** Bad configuration: the message names the environment variable or file. Start-up stops. */
export class ConfigError extends BotError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

/** A request that fails verification or parsing: answered with `status` (4xx) and `message`. */
export class RequestError extends BotError {
  constructor(code: string, message: string, status = 400) {
    super(code, message, { status });
    this.name = 'RequestError';
  }
}
