/* privacy-bot admin console — the server's errors in the console's language. Loaded before kit.js, which words every
 * error through PB_ERRORS (kit.errorText / kit.rowProblem). The server answers `{"error": {"code", "message",
 * "detail"?: {"kind", "params"?}}}` with `code` from the catalogue (src/errors.ts, adapters/errors.ts) and English
 * `message`; here each code has a Chinese and an English text, a code with several cases (detail.kind) a text per case,
 * and each kind of CSV row problem (src/archiving/status.ts RowProblem) a text. A code not listed shows the server's
 * message. Texts are functions of (params, serverMessage) where they carry a parameter; a text ending in "：" + the
 * server's message is for codes whose message names a field (it stays as the server wrote it).
 * The adapters' codes are worded beside the adapters (adapters/errors.ts ADAPTER_CONSOLE_TEXTS) and added at load
 * from GET /console/api/error-texts by {@link window.PB_ERRORS.addCodes} (kit.js).
 * test/src/console/error-texts.test.ts lists every code the console's endpoints can answer with and fails when one has
 * no text here or from the adapters. */
(function () {
  'use strict';
  const also = (zh) => (_p, m) => (m ? `${zh}：${m}` : zh);
  const alsoEn = (en) => (_p, m) => (m ? `${en}: ${m}` : en);
  window.PB_ERRORS = {
    /**
     * Adds texts of codes the server words (GET /console/api/error-texts: `{codes: {zh: {CODE: text}, en: {…}}}`),
     * each followed by the server's message; a code worded here already keeps its text.
     */
    addCodes(codes) {
      for (const lang of ['zh', 'en']) {
        for (const [code, text] of Object.entries((codes && codes[lang]) || {})) {
          if (typeof text === 'string' && !(code in this.codes[lang])) this.codes[lang][code] = lang === 'zh' ? also(text) : alsoEn(text);
        }
      }
    },
    /** By code. */
    codes: {
      zh: {
        INTERNAL: '服务器内部错误，请稍后再试或联系管理员',
        STORE_UNAVAILABLE: '存储（Redis 或 SQLite）暂时无法访问，请稍后再试',
        STORE_BAD_ARGUMENT: '请求的参数无法处理',
        ADMIN_NETWORK_FORBIDDEN: '当前网络地址不允许访问管理功能',
        NOT_FOUND: '没有这个页面或接口',
        ADMIN_NOT_HERE: '此端口不提供管理功能',
        ADMIN_OFF: '管理功能未开启',
        ADMIN_NOT_FOUND: '没有这个页面或接口（地址写法不规范）',
        ADMIN_BAD_JSON: '请求内容不是有效的 JSON',
        ADMIN_BAD_BODY: '请求内容无法读取或格式不对',
        ADMIN_BODY_TOO_LARGE: '请求内容太大',
        CONSOLE_OFF: '管理控制台未开启',
        CONSOLE_NO_OPTIONS: '不支持此请求方式',
        CONSOLE_UNAUTHENTICATED: '请先登录（会话已过期或账号已被删除）',
        CONSOLE_BAD_CREDENTIALS: '账号或密码错误',
        CONSOLE_THROTTLED: '登录失败次数过多，请 15 分钟后再试',
        CONSOLE_PASSWORD_CHANGE: '请先修改一次性密码',
        CONSOLE_CSRF: '页面已过期，请刷新后再试',
        CONSOLE_FORBIDDEN: '你的角色无权进行此操作',
        CONSOLE_BAD_PASSWORD: '当前密码不正确',
        CONSOLE_BAD_REQUEST: also('请求缺少字段或字段有误'),
        CONSOLE_BAD_ACCOUNT: also('账号名、角色或新密码不符合要求'),
        CONSOLE_ACCOUNT_NOT_FOUND: '没有这个控制台账号',
        CONSOLE_ACCOUNT_EXISTS: '已有同名的控制台账号',
        CONSOLE_LAST_OWNER: '这是最后一个所有者（owner），不能删除或降级；请先把另一个账号设为所有者',
        CONSOLE_LINK_TAKEN: '该工作平台账号已关联到另一个控制台账号，请先在那里解除关联',
        CONSOLE_LINK_NOT_FOUND: '该账号没有这个工作平台关联',
        CONSOLE_LOGIN_UNAVAILABLE: '未提供通过该平台登录',
        NOTICE_BAD_REQUEST: also('告知书或发送请求的字段有误'),
        NOTICE_NOT_FOUND: '没有这份告知书（或这个版本）',
        BROADCAST_NOT_FOUND: '没有这次发送',
        BROADCAST_NOT_RESENDABLE: '这次发送当前的状态不能再次发送（仍在发送中，或已取消）',
        BROADCAST_NOT_STARTED: '这次发送已排期，尚未开始：还没有发送给任何人，暂时没有可提醒或重发的对象',
        NOTICE_PLATFORM_UNAVAILABLE: '该平台未配置，或不能发送告知',
        NOTICE_BAD_AUDIENCE: also('发送对象不符合该平台的要求（未知部门或用户 ID 有误）'),
        NOTICE_AUDIENCE_EMPTY: '发送对象中没有应用可见的人员，本次发送已取消',
        NOTICE_AUDIENCE_FAILED: '读取平台通讯录时出错，可以重新开始这次发送',
        NOTICE_DIRECTORY_UNSUPPORTED: '该平台在此不能浏览通讯录（部门树、人员搜索）；请直接填写部门或用户 ID',
        BROADCAST_NOT_DISCARDABLE: '这次发送已确认，不再是未确认的准备；如需停止请取消发送',
        BROADCAST_NOT_PREPARED: '发送对象尚未计算完成（仍在准备、失败或已过期），不能确认发送',
        NOTICE_TEST_NO_ACCOUNT: '你的控制台账号没有关联该平台的账号：请在账号管理页关联',
        NOTICE_TEST_REFUSED: also('平台拒绝了测试发送，没有记入任何发送'),
        POLICY_BAD_REQUEST: also('政策的字段有误'),
        POLICY_NOT_FOUND: '没有这项政策',
        POLICY_EXISTS: '已有相同编号的政策',
      },
      en: {
        INTERNAL: 'Internal server error; try again later or ask the operator',
        STORE_UNAVAILABLE: 'The store (Redis or SQLite) cannot be reached just now; try again later',
        STORE_BAD_ARGUMENT: 'The request has a parameter that cannot be handled',
        ADMIN_NETWORK_FORBIDDEN: 'The admin functions may not be reached from this network address',
        NOT_FOUND: 'No such page or route',
        ADMIN_NOT_HERE: 'This port does not serve the admin functions',
        ADMIN_OFF: 'The admin functions are off',
        ADMIN_NOT_FOUND: 'No such page or route (the address is not spelled the canonical way)',
        ADMIN_BAD_JSON: 'The request is not valid JSON',
        ADMIN_BAD_BODY: 'The request cannot be read or has the wrong shape',
        ADMIN_BODY_TOO_LARGE: 'The request is too large',
        CONSOLE_OFF: 'The admin console is off',
        CONSOLE_NO_OPTIONS: 'This request method is not supported',
        CONSOLE_UNAUTHENTICATED: 'Sign in first (the session expired or the account was removed)',
        CONSOLE_BAD_CREDENTIALS: 'Wrong account or password',
        CONSOLE_THROTTLED: 'Too many failed sign-ins; try again in 15 minutes',
        CONSOLE_PASSWORD_CHANGE: 'Change the one-time password first',
        CONSOLE_CSRF: 'The page is out of date; reload it and try again',
        CONSOLE_FORBIDDEN: 'Your role may not do this',
        CONSOLE_BAD_PASSWORD: 'The current password is wrong',
        CONSOLE_BAD_REQUEST: alsoEn('The request lacks a field or has a bad one'),
        CONSOLE_BAD_ACCOUNT: alsoEn('The account name, role or new password is not acceptable'),
        CONSOLE_ACCOUNT_NOT_FOUND: 'No such console account',
        CONSOLE_ACCOUNT_EXISTS: 'A console account with that name exists already',
        CONSOLE_LAST_OWNER: 'This is the last owner: it cannot be removed or lose the owner role; make another account owner first',
        CONSOLE_LINK_TAKEN: 'That platform identity is linked to another console account; unlink it there first',
        CONSOLE_LINK_NOT_FOUND: 'The account has no such platform link',
        CONSOLE_LOGIN_UNAVAILABLE: 'Sign-in with that platform is not offered',
        NOTICE_BAD_REQUEST: alsoEn('The notice or send request has a bad field'),
        NOTICE_NOT_FOUND: 'No such notice (or notice version)',
        BROADCAST_NOT_FOUND: 'No such broadcast',
        BROADCAST_NOT_RESENDABLE: 'The broadcast cannot be sent again in its state (still sending, or cancelled)',
        BROADCAST_NOT_STARTED: 'The broadcast is scheduled and has not started: nothing has been sent yet, so there is nobody to remind or retry',
        NOTICE_PLATFORM_UNAVAILABLE: 'That platform is not configured, or cannot send notices',
        NOTICE_BAD_AUDIENCE: alsoEn('The audience does not suit the platform (unknown department or bad user id)'),
        NOTICE_AUDIENCE_EMPTY: 'The audience has nobody the app can see; the broadcast was cancelled',
        NOTICE_AUDIENCE_FAILED: "The platform's directory failed while the audience was resolved; the broadcast can be started again",
        NOTICE_DIRECTORY_UNSUPPORTED: "The platform's directory cannot be browsed here (department tree, people search); give department or user ids",
        BROADCAST_NOT_DISCARDABLE: 'This broadcast was already confirmed, so it is no longer an unconfirmed preparation; cancel it to stop it',
        BROADCAST_NOT_PREPARED: 'The audience is not counted yet (still preparing, failed or expired); it cannot be confirmed',
        NOTICE_TEST_NO_ACCOUNT: 'Your console account has no linked account on that platform: link one on the accounts page',
        NOTICE_TEST_REFUSED: alsoEn('The platform refused the test send; nothing was recorded in any broadcast'),
        POLICY_BAD_REQUEST: alsoEn('The policy has a bad field'),
        POLICY_NOT_FOUND: 'No such policy',
        POLICY_EXISTS: 'A policy with that id exists already',
      },
    },
    /** By code and case (`CODE.kind`, from the answer's detail). */
    cases: {
      zh: {
        'CONSOLE_BAD_ACCOUNT.password_short': (p) => `新密码太短：至少 ${p.min ?? 12} 个字符`,
        'CONSOLE_BAD_ACCOUNT.password_long': (p) => `新密码太长：最多 ${p.max ?? 256} 个字符`,
        'CONSOLE_BAD_ACCOUNT.password_name': '新密码不能包含账号名',
        'CONSOLE_BAD_ACCOUNT.password_same': '新密码不能与当前密码相同',
        'CONSOLE_BAD_ACCOUNT.password_guessable': '新密码太容易猜到（常见单词、键盘或数字序列、不同字符太少）；用几个词组成的短语更好',
        'CONSOLE_BAD_ACCOUNT.name': '账号名：1–64 个字母、数字或 . _ - @',
        'CONSOLE_BAD_ACCOUNT.role': (p) => `角色只能是：${p.allowed ?? 'owner, admin, auditor'}`,
        'CONSOLE_BAD_ACCOUNT.platform': (p) => `平台只能是：${p.allowed ?? ''}`,
        'CONSOLE_BAD_ACCOUNT.user_id': '平台用户 ID：1–128 个字符，不含空格或控制字符',
      },
      en: {
        'CONSOLE_BAD_ACCOUNT.password_short': (p) => `The new password is too short: at least ${p.min ?? 12} characters`,
        'CONSOLE_BAD_ACCOUNT.password_long': (p) => `The new password is too long: at most ${p.max ?? 256} characters`,
        'CONSOLE_BAD_ACCOUNT.password_name': 'The new password must not contain the account name',
        'CONSOLE_BAD_ACCOUNT.password_same': 'The new password must differ from the current one',
        'CONSOLE_BAD_ACCOUNT.password_guessable': 'The new password is too easy to guess (a common word, a keyboard or number run, or few different characters); a phrase of several words works well',
        'CONSOLE_BAD_ACCOUNT.name': 'Account name: 1–64 letters, digits, ".", "_", "-" or "@"',
        'CONSOLE_BAD_ACCOUNT.role': (p) => `Role: one of ${p.allowed ?? 'owner, admin, auditor'}`,
        'CONSOLE_BAD_ACCOUNT.platform': (p) => `Platform: one of ${p.allowed ?? ''}`,
        'CONSOLE_BAD_ACCOUNT.user_id': 'Platform user id: 1–128 characters, no spaces or control characters',
      },
    },
    /** CSV row problems by kind (user-id uploads and status imports). */
    rows: {
      zh: {
        csv_syntax: (p) => `不是有效的 CSV${p.detail ? `（${p.detail}）` : ''}`,
        empty_file: '文件是空的：第一行应是表头 platform,userId,archived,since,scope',
        bad_header: (p) => `表头不对：应为 platform,userId,archived,since,scope，实际为 ${p.got ?? ''}`,
        columns: (p) => `应有 ${p.expected} 列，实际 ${p.got} 列`,
        platform: (p) => `平台只能是 ${p.allowed}（小写），实际为 ${p.got}`,
        user_id_empty: '用户 ID 为空',
        user_id_long: (p) => `用户 ID 超过 ${p.max ?? 256} 个字符`,
        user_id_control: '用户 ID 含控制字符',
        archived: (p) => `archived 只能是 true 或 false（也可写 yes/no、1/0、是/否），实际为 ${p.got}`,
        since_required: 'archived 为 true 时必须填写 since（起始日期）',
        since_format: (p) => `since 应是日期（年-月-日，如 2026-03-01 或 2026/3/1），实际为 ${p.got}`,
        since_not_date: (p) => `since ${p.got} 不是真实的日期`,
        scope_long: (p) => `scope 超过 ${p.max} 个字符`,
        duplicate: (p) => `与第 ${p.first} 行重复（相同的平台和用户 ID）`,
      },
      en: {
        csv_syntax: (p) => `not CSV${p.detail ? ` (${p.detail})` : ''}`,
        empty_file: 'empty file: the first line must be the header platform,userId,archived,since,scope',
        bad_header: (p) => `bad header: expected platform,userId,archived,since,scope, got ${p.got ?? ''}`,
        columns: (p) => `expected ${p.expected} columns, got ${p.got}`,
        platform: (p) => `platform must be one of ${p.allowed} (lower case), got ${p.got}`,
        user_id_empty: 'empty user id',
        user_id_long: (p) => `user id longer than ${p.max ?? 256} characters`,
        user_id_control: 'user id with a control character',
        archived: (p) => `archived must be true or false (yes/no, 1/0, 是/否), got ${p.got}`,
        since_required: 'since is required when archived is true',
        since_format: (p) => `since must be a date (year-month-day such as 2026-03-01 or 2026/3/1), got ${p.got}`,
        since_not_date: (p) => `since ${p.got} is not a calendar date`,
        scope_long: (p) => `scope is longer than ${p.max} characters`,
        duplicate: (p) => `duplicate of line ${p.first} (same platform and userId)`,
      },
    },
  };
})();
