/**
 * Signing console admins in with their work platform (WeCom web login, DingTalk OAuth2, Feishu/Lark
 * OAuth with PKCE): the platform-neutral port. An adapter builds the platform's authorize URL and,
 * when the browser comes back, turns the callback's query into the platform user id — nothing more:
 * the console maps that id to one of its own accounts (an allow-list) and makes its own session.
 *
 * Sources: WeCom https://developer.work.weixin.qq.com/document/path/98171 (and 98152, 98177);
 * DingTalk https://github.com/open-dingtalk/developerpedia docs/develop/permission/token/browser/get_user_app_token_browser.md;
 * Feishu https://open.feishu.cn/document/common-capabilities/sso/api/obtain-oauth-code.
 */

/**
 * A platform an admin may sign in with: the id of one of the {@link LoginPlatformInfo} descriptions the
 * composition root registers at start-up (adapters/login.ts). A plain string, so a new platform's
 * sign-in needs no change here.
 */
export type LoginPlatform = string;

/** How an adapter describes its sign-in platform to the console (adapters/<platform>/login.ts). */
export interface LoginPlatformInfo {
  /** Platform id, as in InboundMessage.platform, e.g. 'dingtalk'. */
  readonly id: string;
  /**
   * The platform's name for people, per console language, e.g. { zh: '钉钉', en: 'DingTalk' }; the sign-in page's
   * button reads "<label>登录" / "Sign in with <label>".
   */
  readonly label: Readonly<{ zh: string; en: string }>;
  /** One line under the sign-in button: what the person does on the platform's page, per console language. */
  readonly signInHint: Readonly<{ zh: string; en: string }>;
  /** Which of the platform's user ids an owner links to an account (the id {@link AdminLogin.identify} returns), per console language. */
  readonly userIdHint: Readonly<{ zh: string; en: string }>;
  /**
   * Whether the platform's user ids are case-insensitive: then links are stored and compared lower
   * case (the platform's login returns them lower case). False = ids compared as given.
   */
  readonly caseInsensitiveIds: boolean;
}

/**
 * A platform user id in the form links store and compare: lower case when the platform's ids are
 * case-insensitive ({@link LoginPlatformInfo.caseInsensitiveIds}), else as given. Unknown platforms: as given.
 */
export function normaliseUserId(platforms: readonly LoginPlatformInfo[], platform: string, userId: string): string {
  return platforms.find((p) => p.id === platform)?.caseInsensitiveIds ? userId.toLowerCase() : userId;
}

/**
 * Why a platform sign-in was refused, as the sign-in page explains it:
 * - denied: the person declined on the platform's page (or the platform sent no code);
 * - bad_code: the code is unknown, malformed or was already used (WeCom 40029, Feishu 20003/20065);
 * - expired: the code is too old (Feishu 20004);
 * - other_org: the identity belongs to another organisation (DingTalk corpId, Feishu tenant_key,
 *   DingTalk 60121, a WeCom non-member);
 * - no_access: the person may not use the app (Feishu 20010);
 * - misconfigured: redirect URL or trusted domain not set as the platform requires, wrong secret,
 *   PKCE mismatch (WeCom 50001, Feishu 20029/20071/20049, 40001/40013);
 * - unreachable: the platform did not answer usably (network, timeout, HTTP error, not JSON).
 */
export type LoginRefusalReason = 'denied' | 'bad_code' | 'expired' | 'other_org' | 'no_access' | 'misconfigured' | 'unreachable';

/** A refused platform sign-in: `reason` for the page, `detail` (the platform's own code, no secret) for the log. */
export class LoginRefused extends Error {
  constructor(
    readonly reason: LoginRefusalReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'LoginRefused';
  }
}

/** What the console hands the adapter to build the authorize URL. */
export interface AuthorizeRequest {
  /** Random, single use, bound to the browser by a cookie; sent back by the platform. */
  state: string;
  /** Absolute callback URL, e.g. 'https://bot.example.com/console/login/feishu/callback'. */
  redirectUri: string;
  /** PKCE S256 challenge (base64url SHA-256 of the verifier), for adapters with `pkce` true. */
  codeChallenge?: string;
  /** Page language of the platform's sign-in page. */
  lang: 'zh' | 'en';
}

/** What the console hands the adapter when the browser comes back. */
export interface IdentifyRequest {
  /** The callback's query parameters (first value of each). */
  query: Record<string, string>;
  /** The same redirect URI the authorize URL named (Feishu checks it). */
  redirectUri: string;
  /** The PKCE verifier whose challenge was sent (adapters with `pkce` true). */
  codeVerifier?: string;
}

/** One platform's admin sign-in (adapters/<platform>/login.ts). */
export interface AdminLogin {
  platform: LoginPlatform;
  /** Whether the console must send a PKCE S256 challenge and keep its verifier. */
  pkce: boolean;
  /** The platform's authorize (QR code) page to send the browser to. */
  authorizeUrl(request: AuthorizeRequest): string;
  /**
   * The platform user id of the person who signed in: WeCom userid (lower case), DingTalk userid,
   * Feishu open_id. Checks that the person belongs to the configured organisation.
   * @throws LoginRefused (every platform error, mapped); never resolves without an id
   */
  identify(request: IdentifyRequest): Promise<string>;
}
