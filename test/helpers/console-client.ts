/**
 * A console client for API-level tests: keeps the session cookie like a browser and sends the
 * CSRF token on changes (unless told not to). Accounts are made through the same AccountStore the
 * CLI uses.
 */
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { AccountStore, type Role } from '../../src/console/accounts.ts';

export interface ConsoleAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export class ConsoleClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string, readonly headers: Record<string, string> = {}) {}

  /** One request; `csrf: false` leaves the token out. */
  async call(method: string, path: string, body?: unknown, options: { csrf?: boolean | string } = {}): Promise<ConsoleAnswer> {
    const token = options.csrf === false ? undefined : typeof options.csrf === 'string' ? options.csrf : this.csrf;
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...this.headers,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(token && method !== 'GET' ? { 'x-csrf-token': token } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set) {
      const m = /pb_console=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `pb_console=${m[1]}` : '';
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* CSV or HTML */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Signs in; returns the answer (the CSRF token is kept). */
  async signIn(name: string, password: string): Promise<ConsoleAnswer> {
    const a = await this.call('POST', '/console/api/session', { name, password });
    if (a.status === 200) this.csrf = a.body.csrf;
    return a;
  }

  /** Signs in with a one-time password and changes it to `next`. */
  async firstSignIn(name: string, oneTime: string, next: string): Promise<void> {
    const a = await this.signIn(name, oneTime);
    if (a.status !== 200) throw new Error(`sign-in ${a.status} ${JSON.stringify(a.body)}`);
    const c = await this.call('POST', '/console/api/password', { current: oneTime, next });
    if (c.status !== 200) throw new Error(`password change ${c.status} ${JSON.stringify(c.body)}`);
  }
}

/** Creates an account as the CLI does; returns its one-time password. */
export async function addAccount(kv: KeyValueStore, name: string, role: Role): Promise<string> {
  return (await new AccountStore(kv).add(name, role)).password;
}

/** A signed-in client whose password has been changed to `${name}-Passw0rd-long`. */
export async function signedIn(base: string, kv: KeyValueStore, name: string, role: Role): Promise<ConsoleClient> {
  const c = new ConsoleClient(base);
  await c.firstSignIn(name, await addAccount(kv, name, role), `${name}-Passw0rd-long`.replace(name, 'x'));
  return c;
}
