/**
 * Lua scripts of the Redis notice store (src/store/redis/notices.ts). Each script touches keys
 * of ONE hash tag only — a broadcast's `{b:<id>}` keys, a notice's `{n:<id>}` keys, or one
 * employee's `{u:<platform>:<userId>}` record — so every script is atomic on a single Redis and
 * on a Redis Cluster alike.
 *
 * Records are JSON (cjson). Absent fields are omitted, never null. Field names:
 * - recipient (hash `{b:X}:r`, field userId): s state 'pending'|'sent'|'failed', re reason,
 *   st sentAt, ra readAt, aa acknowledgedAt, ac ack channel, at attempts, l leaseId, lo lease owner,
 *   db delivered by (another broadcast), rr reminder round queued, rs reminder state
 *   'pending'|'sent'|'failed'|'skipped', rdr reminded round, rda reminded at, lg language of the first
 *   delivery, rdl language of the latest reminder sent.
 * - employee record (hash `{u:P:U}:n`, field '<noticeId>:<version>'): b broadcast, s 'r' reserved |
 *   's' sent, u reserved until, t sentAt, ls leases that sent it, ra, aa, ac, also (other broadcasts that
 *   count this employee).
 * - recipients index (queryRecipients), kept by every recipient write through `putrec` (COMMON), in
 *   keys derived from the recipients hash's name (same hash tag): hash `{b:X}:r:ix` userId ->
 *   '<state>|<time, 15 digits>|<search>'; lex-ordered sorted sets (all scores 0) `{b:X}:r:ix:u:<state|all>`
 *   (userId), `{b:X}:r:ix:t:<state|all>` ('<time>:<userId>'), `{b:X}:r:ix:k:all` ('<rank>:<userId>'),
 *   each member followed by NUL and `<search>` when the recipient has a name or department; and
 *   `{b:X}:r:ix:ra` ('<readAt>:<userId>' of every recipient that read; the timeline's reads).
 *   `<search>` is the record's name `n` and department `d`, A–Z lowered, joined by NUL ('' when it
 *   has neither): a search reads it from the member it walks, with no record read or decoded. User
 *   ids, names and departments hold no control character (src/store/ports/notices-args.ts), so a
 *   suffix sorts every member right after its key ('<key>' < '<key>\0…' < any longer key) and a
 *   search text never matches across the NUL.
 *   `{b:X}:r:ix:v` = '2' marks a broadcast whose index is complete in this form (new ones, or built
 *   by INDEX_BUILD; '1' = the form before the search suffix, rebuilt at the next query).
 *   `{b:X}:r:ix:g` counts the changes of the index (INCR in ixput whenever a member moves or is
 *   added; absent = 0), and `{b:X}:r:ix:n` (hash, expiring) caches the totals of searches:
 *   field JSON [state|'all', prefix, text] -> '<generation>:<total>', and their checkpoints per
 *   index walked: field JSON [state|'all', prefix, text, index] -> JSON {g: generation, o: order
 *   walked, k: K, c: [every K-th match, whole member]}, valid while `:ix:g` still holds that
 *   generation (src/store/redis/notices.ts, searchPage).
 * - audit entry (list `{b:X}:audit`): at, u (absent for broadcast events), f from, t to, r reason;
 *   once sealed (CHAIN_SEAL) also n (position in the broadcast's hash chain), p (previous hash) and
 *   h (its hash) — docs/EVIDENCE.md.
 * - reminder round (hash `{b:X}:rounds`, field the round number): at queued at, q how many were
 *   queued, by who asked (absent = not recorded).
 */

/** Shared helpers, prepended to the broadcast scripts. */
const COMMON = `
local function disp(rec)
  if rec.s == 'sent' and rec.aa then return 'acknowledged' end
  if rec.s == 'sent' and rec.ra then return 'read' end
  return rec.s
end
local function audit(key, at, u, f, t, r)
  local e = {at = at, f = f, t = t, r = r}
  if u then e.u = u end
  redis.call('RPUSH', key, cjson.encode(e))
end
local RANK = {pending = '0', failed = '1', sent = '2', read = '3', acknowledged = '4'}
local NUL = string.char(0)
local function pad(t) return string.format('%015d', math.floor(tonumber(t))) end
-- A–Z lowered, other bytes kept, whatever the server's locale (string.lower follows LC_CTYPE).
local function lowerAZ(v)
  if type(v) ~= 'string' then return '' end
  return (string.gsub(v, '[A-Z]', string.lower))
end
-- The search text of a record: name NUL department, A–Z lowered; '' without either.
local function srch(rec)
  local n, d = lowerAZ(rec.n), lowerAZ(rec.d)
  if n == '' and d == '' then return '' end
  return n .. NUL .. d
end
local function ixput(rkey, u, rec)
  local st = disp(rec)
  local t = 0
  if rec.s == 'sent' then t = rec.aa or rec.ra or rec.st or 0 end
  local q = srch(rec)
  local cur = st .. '|' .. pad(t) .. '|' .. q
  -- reads over time (timeline): the first read time of every recipient that read, acknowledged or not
  if rec.ra then redis.call('ZADD', rkey .. ':ix:ra', 0, pad(rec.ra) .. ':' .. u) end
  local prev = redis.call('HGET', rkey .. ':ix', u)
  if prev == cur then return end
  if prev then
    -- '<state>|<time>|<search>', or '<state>|<time>' as written before the search suffix (members without it)
    local ps, pt, pq = string.match(prev, '^([^|]*)|([^|]*)|?(.*)$')
    local px = ''
    if pq ~= '' then px = NUL .. pq end
    redis.call('ZREM', rkey .. ':ix:u:' .. ps, u .. px)
    redis.call('ZREM', rkey .. ':ix:u:all', u .. px)
    redis.call('ZREM', rkey .. ':ix:t:' .. ps, pt .. ':' .. u .. px)
    redis.call('ZREM', rkey .. ':ix:t:all', pt .. ':' .. u .. px)
    redis.call('ZREM', rkey .. ':ix:k:all', RANK[ps] .. ':' .. u .. px)
  end
  local x = ''
  if q ~= '' then x = NUL .. q end
  -- the index changed: counts of searches cached for an earlier generation no longer hold
  redis.call('INCR', rkey .. ':ix:g')
  redis.call('HSET', rkey .. ':ix', u, cur)
  redis.call('ZADD', rkey .. ':ix:u:all', 0, u .. x)
  redis.call('ZADD', rkey .. ':ix:u:' .. st, 0, u .. x)
  redis.call('ZADD', rkey .. ':ix:t:' .. st, 0, pad(t) .. ':' .. u .. x)
  redis.call('ZADD', rkey .. ':ix:t:all', 0, pad(t) .. ':' .. u .. x)
  redis.call('ZADD', rkey .. ':ix:k:all', 0, RANK[st] .. ':' .. u .. x)
end
local function putrec(rkey, u, rec)
  redis.call('HSET', rkey, u, cjson.encode(rec))
  ixput(rkey, u, rec)
end
`;

/**
 * Create a broadcast. KEYS: meta, audit. ARGV: id, noticeId, version, platform, audience(json),
 * readSupported('1'|'0'), createdBy, now, reason, notBefore (ms, '' = none). Returns 0 when the id exists, else 1.
 */
export const CREATE_BROADCAST = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = tonumber(ARGV[8])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'noticeId', ARGV[2], 'version', ARGV[3], 'platform', ARGV[4],
  'audience', ARGV[5], 'readSupported', ARGV[6], 'createdBy', ARGV[7], 'createdAt', ARGV[8], 'updatedAt', ARGV[8],
  'state', 'resolving', 'round', 0, 'duplicates', 0, 'targeted', 0, 'pending', 0, 'sent', 0, 'failed', 0,
  'read', 0, 'acknowledged', 0, 'r_targeted', 0, 'r_pending', 0, 'r_sent', 0, 'r_failed', 0)
if ARGV[10] ~= nil and ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'notBefore', ARGV[10]) end
if ARGV[11] ~= nil and ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'prepOwner', ARGV[11], 'prepUntil', ARGV[12]) end
audit(KEYS[2], now, nil, 'none', 'resolving', ARGV[9])
return 1`;

/**
 * Add pending recipients to a resolving broadcast. KEYS: meta, r, q, audit. ARGV: now, then
 * pairs of user id and its record as JSON ('{"s":"pending"}', with "n" name and "d" department
 * when known). Returns the number added, or -1 when the broadcast is missing or not resolving.
 */
export const ADD_RECIPIENTS = `${COMMON}
if redis.call('HGET', KEYS[1], 'state') ~= 'resolving' then return -1 end
local now = tonumber(ARGV[1])
local added = 0
for i = 2, #ARGV, 2 do
  local u = ARGV[i]
  if redis.call('HSETNX', KEYS[2], u, ARGV[i + 1]) == 1 then
    ixput(KEYS[2], u, cjson.decode(ARGV[i + 1]))
    redis.call('ZADD', KEYS[3], now, u)
    audit(KEYS[4], now, u, 'none', 'pending', 'in the audience')
    added = added + 1
  end
end
if added > 0 then
  redis.call('HINCRBY', KEYS[1], 'targeted', added)
  redis.call('HINCRBY', KEYS[1], 'pending', added)
end
return added`;

/**
 * Broadcast state changes. KEYS: meta, q, rq, audit. ARGV: op ('start'|'fail'|'cancel'), now, error.
 * - start: resolving -> sending (-> done when there is no recipient);
 * - fail: resolving -> cancelled with the error;
 * - cancel: resolving|sending -> cancelled, queues emptied (leased batches still settle).
 * Returns the state after, or '' when the broadcast does not exist.
 */
export const TRANSITION = `${COMMON}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return '' end
local op, now = ARGV[1], tonumber(ARGV[2])
if op == 'start' and state == 'resolving' then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'updatedAt', now)
  audit(KEYS[4], now, nil, 'resolving', 'sending', 'audience resolved')
  state = 'sending'
  if tonumber(redis.call('HGET', KEYS[1], 'pending')) == 0 then
    redis.call('HSET', KEYS[1], 'state', 'done')
    audit(KEYS[4], now, nil, 'sending', 'done', 'nothing left to send')
    state = 'done'
  end
elseif op == 'fail' and state == 'resolving' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'error', ARGV[3], 'updatedAt', now)
  redis.call('DEL', KEYS[2], KEYS[3])
  audit(KEYS[4], now, nil, 'resolving', 'cancelled', 'audience resolution failed: ' .. ARGV[3])
  state = 'cancelled'
elseif op == 'cancel' and (state == 'resolving' or state == 'sending') then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'updatedAt', now)
  redis.call('DEL', KEYS[2], KEYS[3])
  audit(KEYS[4], now, nil, state, 'cancelled', 'cancelled by an admin')
  state = 'cancelled'
end
return state`;

/**
 * The preparation lease of a resolving broadcast (fields prepOwner, prepUntil of its meta hash).
 * KEYS: meta, q, rq, audit. ARGV: op, now, then
 * - 'renew', owner, until: extends owner's lease;
 * - 'end', owner[, confirmBy, awaitingOwner]: removes owner's lease; with confirmBy, hands it to
 *   awaitingOwner until confirmBy instead (a ready preparation waiting for the admin's confirm);
 * - 'interrupt', error: resolving -> cancelled with the error (as TRANSITION 'fail') when the
 *   lease ended at or before now.
 * Returns 1 when done, 0 when not (not resolving, not owner's lease, lease still running).
 */
export const PREPARATION = `${COMMON}
if redis.call('HGET', KEYS[1], 'state') ~= 'resolving' then return 0 end
local op, now = ARGV[1], tonumber(ARGV[2])
local owner = redis.call('HGET', KEYS[1], 'prepOwner')
if op == 'renew' then
  if owner ~= ARGV[3] then return 0 end
  redis.call('HSET', KEYS[1], 'prepUntil', ARGV[4])
  return 1
elseif op == 'end' then
  if owner ~= ARGV[3] then return 0 end
  if ARGV[4] and ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'prepOwner', ARGV[5], 'prepUntil', ARGV[4])
  else
    redis.call('HDEL', KEYS[1], 'prepOwner', 'prepUntil')
  end
  return 1
elseif op == 'interrupt' then
  local untilMs = tonumber(redis.call('HGET', KEYS[1], 'prepUntil'))
  if not untilMs or untilMs > now then return 0 end
  redis.call('HDEL', KEYS[1], 'prepOwner', 'prepUntil')
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'error', ARGV[3], 'updatedAt', now)
  redis.call('DEL', KEYS[2], KEYS[3])
  audit(KEYS[4], now, nil, 'resolving', 'cancelled', 'audience resolution failed: ' .. ARGV[3])
  return 1
end
return 0`;

/**
 * Lease due recipients. KEYS: meta, r, q, rq, audit. ARGV: now, max, leaseMs, leaseId, owner.
 * First-delivery queue first; the reminder queue only when the first is empty (recipients that
 * acknowledged meanwhile are skipped). A queue score is the time a member becomes claimable:
 * a leased member's score is its lease end, so an expired lease is simply due again.
 * Returns {state, kind, round, examined, user1, attempts1, takenOver1, user2, …}; only {state} when the
 * broadcast is not sending. Marks the broadcast done when nothing is left.
 */
export const CLAIM = `${COMMON}
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'sending' then return {state or ''} end
local now, max, leaseMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local leaseId, owner = ARGV[4], ARGV[5]
local untilMs = now + leaseMs
local round = redis.call('HGET', KEYS[1], 'round')
local out = {'sending', 'deliver', '0', '0'}
local users = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, max)
local queue = KEYS[3]
if #users == 0 then
  out[2] = 'remind'
  out[3] = round
  queue = KEYS[4]
  users = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, max)
end
out[4] = tostring(#users)
for _, u in ipairs(users) do
  local raw = redis.call('HGET', KEYS[2], u)
  if not raw then
    redis.call('ZREM', queue, u)
  else
    local rec = cjson.decode(raw)
    if out[2] == 'remind' and (rec.aa or rec.s ~= 'sent' or rec.rs ~= 'pending') then
      if rec.rs == 'pending' then
        rec.rs = 'skipped'
        redis.call('HINCRBY', KEYS[1], 'r_targeted', -1)
        redis.call('HINCRBY', KEYS[1], 'r_pending', -1)
      end
      rec.l = nil
      rec.lo = nil
      putrec(KEYS[2], u, rec)
      redis.call('ZREM', queue, u)
    else
      local takeover = 0
      if rec.l then
        takeover = 1
        local what = 'lease'
        if out[2] == 'remind' then what = 'reminder lease' end
        audit(KEYS[5], now, u, disp(rec), disp(rec), what .. ' of ' .. (rec.lo or '?') .. ' expired; taken over by ' .. owner)
      end
      rec.l = leaseId
      rec.lo = owner
      putrec(KEYS[2], u, rec)
      redis.call('ZADD', queue, untilMs, u)
      table.insert(out, u)
      table.insert(out, tostring(rec.at or 0))
      table.insert(out, tostring(takeover))
    end
  end
end
if #out == 4 and tonumber(redis.call('HGET', KEYS[1], 'pending')) == 0 and tonumber(redis.call('HGET', KEYS[1], 'r_pending')) <= 0 then
  redis.call('HSET', KEYS[1], 'state', 'done', 'updatedAt', now)
  audit(KEYS[5], now, nil, 'sending', 'done', 'nothing left to send')
  out[1] = 'done'
end
return out`;

/**
 * Record results of a leased batch, only for users still leased under leaseId and still waiting
 * in the batch's queue. KEYS: meta, r, q, rq, audit, fail, rh. ARGV: now, leaseId, kind, payload
 * (JSON {sent:[u], dups:{u: where} (sent users who already had the version), known:[[u, by, st, ra, aa, ac]]
 * (recorded as sent without sending), failed:[[u, reason]], retry:[[u, notBefore, countsAsAttempt 0|1]],
 * rh: handle or ''}). Returns {state, applied, stale users…}.
 */
export const SETTLE = `${COMMON}
local now, leaseId, kind = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local p = cjson.decode(ARGV[4])
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'', 0} end
local queue = KEYS[3]
if kind == 'remind' then queue = KEYS[4] end
local stale = {}
local applied = 0
local function leased(u)
  local raw = redis.call('HGET', KEYS[2], u)
  if not raw then return nil end
  local rec = cjson.decode(raw)
  if rec.l ~= leaseId then return nil end
  if kind == 'deliver' and rec.s ~= 'pending' then return nil end
  if kind == 'remind' and rec.rs ~= 'pending' then return nil end
  return rec
end
local function save(u, rec)
  rec.l = nil
  rec.lo = nil
  putrec(KEYS[2], u, rec)
end
local sentNow = {}
for _, u in ipairs(p.sent) do
  if p.dups[u] then redis.call('HINCRBY', KEYS[1], 'duplicates', 1) end
  local rec = leased(u)
  if not rec then table.insert(stale, u) else
    applied = applied + 1
    if kind == 'deliver' then
      rec.s = 'sent'
      rec.st = now
      rec.re = nil
      redis.call('ZREM', queue, u)
      redis.call('HINCRBY', KEYS[1], 'pending', -1)
      redis.call('HINCRBY', KEYS[1], 'sent', 1)
      local lang = ''
      if p.lang and p.lang ~= '' then
        rec.lg = p.lang
        lang = ' (language ' .. p.lang .. ')'
      end
      local why = 'accepted by the platform' .. lang
      if p.dups[u] then why = 'sent' .. lang .. ', but the employee had already received this version (' .. p.dups[u] .. ')' end
      save(u, rec)
      audit(KEYS[5], now, u, 'pending', 'sent', why)
    else
      rec.rs = 'sent'
      rec.rdr = rec.rr
      rec.rda = now
      local lang = ''
      if p.lang and p.lang ~= '' then
        rec.rdl = p.lang
        lang = ' (language ' .. p.lang .. ')'
      end
      redis.call('ZREM', queue, u)
      redis.call('HINCRBY', KEYS[1], 'r_pending', -1)
      redis.call('HINCRBY', KEYS[1], 'r_sent', 1)
      save(u, rec)
      audit(KEYS[5], now, u, disp(rec), disp(rec), 'reminder round ' .. tostring(rec.rr) .. ' sent' .. lang)
    end
    table.insert(sentNow, u)
  end
end
for _, k in ipairs(p.known) do
  local u = k[1]
  local rec = leased(u)
  if not rec or kind ~= 'deliver' then table.insert(stale, u) else
    applied = applied + 1
    rec.s = 'sent'
    rec.st = tonumber(k[3])
    if k[2] ~= '' then rec.db = k[2] end
    redis.call('ZREM', queue, u)
    redis.call('HINCRBY', KEYS[1], 'pending', -1)
    redis.call('HINCRBY', KEYS[1], 'sent', 1)
    if k[4] ~= '' then
      rec.ra = tonumber(k[4])
      redis.call('HINCRBY', KEYS[1], 'read', 1)
    end
    if k[5] ~= '' then
      rec.aa = tonumber(k[5])
      rec.ac = k[6]
      redis.call('HINCRBY', KEYS[1], 'acknowledged', 1)
    end
    save(u, rec)
    local why = 'sent before the worker could record it (recorded on takeover)'
    if k[2] ~= '' then why = 'already delivered by broadcast ' .. k[2] .. '; not sent again' end
    audit(KEYS[5], now, u, 'pending', disp(rec), why)
  end
end
for _, f in ipairs(p.failed) do
  local u, reason = f[1], f[2]
  local rec = leased(u)
  if not rec then table.insert(stale, u) else
    applied = applied + 1
    redis.call('ZREM', queue, u)
    if kind == 'deliver' then
      rec.s = 'failed'
      rec.re = reason
      redis.call('HINCRBY', KEYS[1], 'pending', -1)
      redis.call('HINCRBY', KEYS[1], 'failed', 1)
      redis.call('HSET', KEYS[6], u, reason)
      save(u, rec)
      audit(KEYS[5], now, u, 'pending', 'failed', reason)
    else
      rec.rs = 'failed'
      redis.call('HINCRBY', KEYS[1], 'r_pending', -1)
      redis.call('HINCRBY', KEYS[1], 'r_failed', 1)
      save(u, rec)
      audit(KEYS[5], now, u, disp(rec), disp(rec), 'reminder round ' .. tostring(rec.rr) .. ' failed: ' .. reason)
    end
  end
end
for _, t in ipairs(p.retry) do
  local u = t[1]
  local rec = leased(u)
  if not rec then table.insert(stale, u) else
    applied = applied + 1
    rec.at = (rec.at or 0) + tonumber(t[3])
    redis.call('ZADD', queue, tonumber(t[2]), u)
    save(u, rec)
  end
end
if p.rh ~= '' and #sentNow > 0 and kind == 'deliver' then
  redis.call('HSETNX', KEYS[7], p.rh, cjson.encode({u = sentNow, t = now, f = 0}))
end
state = redis.call('HGET', KEYS[1], 'state')
if state == 'sending' and tonumber(redis.call('HGET', KEYS[1], 'pending')) == 0 and tonumber(redis.call('HGET', KEYS[1], 'r_pending')) <= 0 then
  redis.call('HSET', KEYS[1], 'state', 'done', 'updatedAt', now)
  audit(KEYS[5], now, nil, 'sending', 'done', 'nothing left to send')
  state = 'done'
end
local out = {state, applied}
for _, u in ipairs(stale) do table.insert(out, u) end
return out`;

/**
 * Apply a read and/or an acknowledgement an employee's record already holds to their recipient
 * record in one broadcast (idempotent: only forward changes). KEYS: meta, r, audit.
 * ARGV: now, userId, readAt|'', ackAt|'', channel|''. Returns 1 when something changed, else 0.
 */
export const SYNC_RECIPIENT = `${COMMON}
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then return 0 end
local rec = cjson.decode(raw)
if rec.s ~= 'sent' then return 0 end
local before = disp(rec)
local why = nil
if ARGV[3] ~= '' and not rec.ra then
  rec.ra = tonumber(ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'read', 1)
  why = 'read receipt from the platform'
end
if ARGV[4] ~= '' and not rec.aa then
  rec.aa = tonumber(ARGV[4])
  rec.ac = ARGV[5]
  redis.call('HINCRBY', KEYS[1], 'acknowledged', 1)
  why = 'acknowledged by ' .. ARGV[5]
end
if not why then return 0 end
putrec(KEYS[2], ARGV[2], rec)
audit(KEYS[3], tonumber(ARGV[1]), ARGV[2], before, disp(rec), why)
return 1`;

/**
 * Resend. KEYS: meta, r, q, rq, audit, fail, rounds. ARGV: now, only ('failed'|'unacknowledged'),
 * by (who asked; '' = not recorded). Returns {queued, round, state}; {-1} when missing; {-2, state}
 * when resolving or cancelled.
 */
export const RESEND = `${COMMON}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
if state == 'resolving' or state == 'cancelled' then return {-2, state} end
local now, only = tonumber(ARGV[1]), ARGV[2]
local queued = 0
local round = tonumber(redis.call('HGET', KEYS[1], 'round'))
if only == 'failed' then
  local failed = redis.call('HKEYS', KEYS[6])
  for _, u in ipairs(failed) do
    local raw = redis.call('HGET', KEYS[2], u)
    if raw then
      local rec = cjson.decode(raw)
      if rec.s == 'failed' then
        rec.s = 'pending'
        rec.re = nil
        rec.at = 0
        rec.l = nil
        rec.lo = nil
        putrec(KEYS[2], u, rec)
        redis.call('ZADD', KEYS[3], now, u)
        audit(KEYS[5], now, u, 'failed', 'pending', 'resend of failed recipients')
        queued = queued + 1
      end
    end
  end
  redis.call('DEL', KEYS[6])
  if queued > 0 then
    redis.call('HINCRBY', KEYS[1], 'failed', -queued)
    redis.call('HINCRBY', KEYS[1], 'pending', queued)
    if state == 'done' then
      redis.call('HSET', KEYS[1], 'state', 'sending', 'updatedAt', now)
      audit(KEYS[5], now, nil, 'done', 'sending', 'resend to ' .. queued .. ' failed recipient(s)')
      state = 'sending'
    end
  end
  return {queued, 0, state}
end
local all = redis.call('HGETALL', KEYS[2])
local targets = {}
for i = 1, #all, 2 do
  local rec = cjson.decode(all[i + 1])
  if rec.s == 'sent' and not rec.aa then table.insert(targets, all[i]) end
end
if #targets == 0 then return {0, round, state} end
round = round + 1
redis.call('DEL', KEYS[4])
for i = 1, #all, 2 do
  local u = all[i]
  local rec = cjson.decode(all[i + 1])
  if rec.s == 'sent' and not rec.aa then
    rec.rr = round
    rec.rs = 'pending'
    rec.at = 0
    rec.l = nil
    rec.lo = nil
    putrec(KEYS[2], u, rec)
    redis.call('ZADD', KEYS[4], now, u)
  elseif rec.rs == 'pending' then
    rec.rs = nil
    rec.l = nil
    rec.lo = nil
    putrec(KEYS[2], u, rec)
  end
end
queued = #targets
redis.call('HSET', KEYS[1], 'round', round, 'r_targeted', queued, 'r_pending', queued, 'r_sent', 0, 'r_failed', 0, 'updatedAt', now)
local rd = {at = now, q = queued}
if ARGV[3] ~= '' then rd.by = ARGV[3] end
redis.call('HSET', KEYS[7], tostring(round), cjson.encode(rd))
local after = state
if state == 'done' then after = 'sending' end
audit(KEYS[5], now, nil, state, after, 'reminder round ' .. round .. ' queued for ' .. queued .. ' unacknowledged recipient(s)')
if state == 'done' then redis.call('HSET', KEYS[1], 'state', 'sending') end
return {queued, round, after}`;

/**
 * Employee record: reserve a notice version for a broadcast before sending. KEYS: user hash.
 * ARGV: field, broadcastId, now, reservedUntil. Returns {'go'}, {'wait', otherBroadcast},
 * {'known', by ('' = this broadcast), sentAt, readAt|'', ackAt|'', channel|''}.
 */
export const RESERVE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local b, now = ARGV[2], tonumber(ARGV[3])
if not raw then
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({b = b, s = 'r', u = tonumber(ARGV[4])}))
  return {'go'}
end
local rec = cjson.decode(raw)
if rec.s == 'r' then
  if rec.b == b or tonumber(rec.u) <= now then
    rec.b = b
    rec.u = tonumber(ARGV[4])
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
    return {'go'}
  end
  return {'wait', rec.b}
end
local by = ''
if rec.b ~= b then
  by = rec.b
  local also = rec.also or {}
  local found = false
  for _, x in ipairs(also) do if x == b then found = true end end
  if not found then
    table.insert(also, b)
    rec.also = also
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
  end
end
return {'known', by, tostring(rec.t), rec.ra and tostring(rec.ra) or '', rec.aa and tostring(rec.aa) or '', rec.ac or ''}`;

/**
 * Employee record: a send happened. KEYS: user hash. ARGV: field, broadcastId, now, leaseId.
 * Returns {'ok'} (also when this lease reported it before), or {'dup', where} the first time
 * another lease (a takeover, or another broadcast) reports sending a version the employee
 * already had.
 */
export const MARK_SENT = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local rec = cjson.decode(raw)
  if rec.s == 's' then
    local ls = rec.ls or {}
    for _, l in ipairs(ls) do if l == ARGV[4] then return {'ok'} end end
    table.insert(ls, ARGV[4])
    rec.ls = ls
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
    if rec.b == ARGV[2] then return {'dup', 'sent by an earlier lease of this broadcast'} end
    return {'dup', 'from broadcast ' .. rec.b}
  end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({b = ARGV[2], s = 's', t = tonumber(ARGV[3]), ls = {ARGV[4]}}))
return {'ok'}`;

/** Employee record: drop this broadcast's reservation (the send failed). KEYS: user hash. ARGV: field, broadcastId. */
export const RELEASE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local rec = cjson.decode(raw)
if rec.s == 'r' and rec.b == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0`;

/**
 * Employee record: acknowledge. KEYS: user hash. ARGV: now, channel, field ('' = the latest
 * unacknowledged version sent, else the latest acknowledged one). Returns {'none'} or
 * {'ok'|'already', field, recordJson}.
 */
export const ACK_USER = `
local field = ARGV[3]
local rec = nil
if field ~= '' then
  local raw = redis.call('HGET', KEYS[1], field)
  if raw then rec = cjson.decode(raw) end
  if rec and rec.s ~= 's' then rec = nil end
else
  local all = redis.call('HGETALL', KEYS[1])
  local bestOpen, bestOpenF, bestDone, bestDoneF = nil, nil, nil, nil
  for i = 1, #all, 2 do
    local r = cjson.decode(all[i + 1])
    if r.s == 's' then
      if not r.aa then
        if not bestOpen or r.t > bestOpen.t or (r.t == bestOpen.t and all[i] > bestOpenF) then bestOpen, bestOpenF = r, all[i] end
      else
        if not bestDone or r.t > bestDone.t or (r.t == bestDone.t and all[i] > bestDoneF) then bestDone, bestDoneF = r, all[i] end
      end
    end
  end
  if bestOpen then rec, field = bestOpen, bestOpenF else rec, field = bestDone, bestDoneF end
end
if not rec then return {'none'} end
if rec.aa then return {'already', field, cjson.encode(rec)} end
rec.aa = tonumber(ARGV[1])
rec.ac = ARGV[2]
redis.call('HSET', KEYS[1], field, cjson.encode(rec))
return {'ok', field, cjson.encode(rec)}`;

/**
 * Employee record: first read wins. KEYS: user hash. ARGV: field, readAt. Returns the record
 * JSON (after), or '' when the version was not sent to the employee.
 */
export const READ_USER = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return '' end
local rec = cjson.decode(raw)
if rec.s ~= 's' then return '' end
if not rec.ra then
  rec.ra = tonumber(ARGV[2])
  raw = cjson.encode(rec)
  redis.call('HSET', KEYS[1], ARGV[1], raw)
end
return raw`;

/**
 * Notice: create (ARGV[1] = 'create') or add a version ('add'). KEYS: meta, versions.
 * ARGV: op, now, contentJson. Returns the new version, 0 when creating an existing id, -1 when
 * adding to a missing notice.
 */
export const NOTICE_VERSION = `
local op, now = ARGV[1], tonumber(ARGV[2])
if op == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  redis.call('HSET', KEYS[1], 'latest', 1, 'createdAt', now, 'updatedAt', now)
  redis.call('HSET', KEYS[2], '1', ARGV[3])
  return 1
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local v = redis.call('HINCRBY', KEYS[1], 'latest', 1)
redis.call('HSET', KEYS[1], 'updatedAt', now)
redis.call('HSET', KEYS[2], tostring(v), ARGV[3])
return v`;

/**
 * Extend a live lease. KEYS: meta, r, q, rq. ARGV: leaseId, kind, leaseUntil, user ids…
 * A user still leased under leaseId (and still waiting in the batch's queue) gets the new lease
 * end as its queue score. Returns the users still held.
 */
export const RENEW = `
local leaseId, kind, untilMs = ARGV[1], ARGV[2], tonumber(ARGV[3])
local queue = KEYS[3]
if kind == 'remind' then queue = KEYS[4] end
local held = {}
for i = 4, #ARGV do
  local u = ARGV[i]
  local raw = redis.call('HGET', KEYS[2], u)
  if raw then
    local rec = cjson.decode(raw)
    local waiting = (kind == 'deliver' and rec.s == 'pending') or (kind == 'remind' and rec.rs == 'pending')
    if rec.l == leaseId and waiting then
      redis.call('ZADD', queue, untilMs, u)
      table.insert(held, u)
    end
  end
end
return held`;


/**
 * Give a lease back early. KEYS: meta, r, q, rq, audit. ARGV: leaseId, kind, now, owner, user ids…
 * A user still leased under leaseId (and still waiting in the batch's queue) loses the lease and,
 * while the broadcast is sending, is due again at `now`. Returns the users released.
 */
export const GIVE_BACK = `${COMMON}
local leaseId, kind, now, owner = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local queue = KEYS[3]
local what = 'lease'
if kind == 'remind' then
  queue = KEYS[4]
  what = 'reminder lease'
end
local sending = redis.call('HGET', KEYS[1], 'state') == 'sending'
local released = {}
for i = 5, #ARGV do
  local u = ARGV[i]
  local raw = redis.call('HGET', KEYS[2], u)
  if raw then
    local rec = cjson.decode(raw)
    local waiting = (kind == 'deliver' and rec.s == 'pending') or (kind == 'remind' and rec.rs == 'pending')
    if rec.l == leaseId and waiting then
      rec.l = nil
      rec.lo = nil
      putrec(KEYS[2], u, rec)
      if sending then redis.call('ZADD', queue, now, u) else redis.call('ZREM', queue, u) end
      audit(KEYS[5], now, u, disp(rec), disp(rec), what .. ' released early by ' .. owner .. '; claimable again')
      table.insert(released, u)
    end
  end
end
return released`;

/**
 * Audit chain, step 1 of sealing (src/store/redis/notices.ts `seal`): the chain head and the
 * entries after it. KEYS: meta, audit. ARGV: most entries to return.
 * Returns {sealedCount, headHash ('' when 0), broadcastId, noticeId, version, entry…} — the
 * broadcast fields for the genesis hash; {} when the broadcast does not exist.
 */
export const CHAIN_PEEK = `
local m = redis.call('HMGET', KEYS[1], 'chainN', 'chainHead', 'id', 'noticeId', 'version')
if not m[3] then return {} end
local n = tonumber(m[1] or '0')
local out = {tostring(n), m[2] or '', m[3], m[4] or '', m[5] or '0'}
local entries = redis.call('LRANGE', KEYS[2], n, n + tonumber(ARGV[1]) - 1)
for _, e in ipairs(entries) do table.insert(out, e) end
return out`;

/**
 * Audit chain, step 2 of sealing: a compare-and-set of the chain head. KEYS: meta, audit.
 * ARGV: sealedCount and headHash as CHAIN_PEEK returned them, then per entry read: the entry with
 * its chain fields, its hash. Applies only when the head is still the one read — entries after the
 * head only change by being sealed, which moves the head, so an unchanged head means unchanged
 * entries. Returns the new sealed count, or -1 on a conflict (another writer sealed first: read again).
 */
export const CHAIN_SEAL = `
local m = redis.call('HMGET', KEYS[1], 'chainN', 'chainHead')
if (m[1] or '0') ~= ARGV[1] or (m[2] or '') ~= ARGV[2] then return -1 end
local n = tonumber(ARGV[1])
-- Indexes counted from the end: the unsealed entries are the newest, so the walk to them is short.
local len = redis.call('LLEN', KEYS[2])
if n + (#ARGV - 2) / 2 > len then return -1 end
local head = ARGV[2]
for j = 3, #ARGV, 2 do
  redis.call('LSET', KEYS[2], n - len, ARGV[j])
  head = ARGV[j + 1]
  n = n + 1
end
redis.call('HSET', KEYS[1], 'chainN', n, 'chainHead', head)
return n`;


/**
 * Builds the recipients index of a broadcast created before it existed, a chunk at a time (each
 * record indexed from its current value, so writes in between stay right). KEYS: r. ARGV: HSCAN
 * cursor, count. Returns the next cursor; '0' = done, and then sets `<r>:ix:v` to '2'. Also rebuilds an
 * index of the form before the search suffix ('1'): ixput replaces each member written without it.
 */
export const INDEX_BUILD = `${COMMON}
local res = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', tonumber(ARGV[2]))
local kv = res[2]
for i = 1, #kv, 2 do ixput(KEYS[1], kv[i], cjson.decode(kv[i + 1])) end
if res[1] == '0' then
  redis.call('SET', KEYS[1] .. ':ix:v', '2')
  redis.call('DEL', KEYS[1] .. ':ix:n')
end
return res[1]`;

/**
 * One page of recipients from the index. KEYS: r. ARGV: json {segs: [[zset suffix, min, max,
 * pageMin, pageMax]] in the order to walk (ZRANGEBYLEX bounds as Redis spells them: '-', '+',
 * '[x', '(x'; min/max = the whole match, for the total; pageMin/pageMax = after the cursor, ''
 * when the cursor is past this segment), keyed (members are '<key>:<userId>', the key kl characters
 * long), order 'asc'|'desc',
 * offset, limit (rows; the caller asks one more to know whether there is a next page), filter (a
 * user-id prefix checked while walking; '' = none), text (a search, A–Z lowered: a member also
 * matches when its search suffix — name NUL department, A–Z lowered — contains it; the prefix then
 * only when not ''), count (true: the walk counts every match of each segment, the part before the
 * cursor included, and returns it as the total — one walk for the total and the page; false: the
 * walk stops once the page is full and the total is 0, the caller counts it), chunk (members read
 * per step of a walk)}. Bounds are computed by the caller, so no string is compared here (Lua
 * compares with the server's locale). Members are returned without their search suffix.
 * Without a filter or text a page costs O(log N + offset + limit) per segment (ZRANGEBYLEX with LIMIT);
 * with one it is a walk of the index, a string search per member and no record read but the page's.
 * Returns {total, member1, record1, member2, record2, …}.
 */
export const RECIPIENT_PAGE = `
local a = cjson.decode(ARGV[1])
local r = KEYS[1]
local asc = a.order == 'asc'
local want, skip, filter = a.limit, a.offset, a.filter
local text = a.text or ''
local step = a.chunk or 1000
local NUL = string.char(0)
local out = {0}
local total = 0
local function uid(m) if not a.keyed then return m end return string.sub(m, string.find(m, ':', 1, true) + 1) end
-- The member without its search suffix, and where the suffix starts (nil without one).
local function base(m)
  local z = string.find(m, NUL, 1, true)
  if z then return string.sub(m, 1, z - 1), z + 1 end
  return m, nil
end
local find, sub = string.find, string.sub
local fl = #filter
-- Where the user id starts in a member: after '<key>:' when keyed (the key's length is fixed per index).
local ks = 1
if a.keyed then ks = (a.kl or 0) + 2 end
-- Whether member m matches the filter / search (no string made: this runs for every member walked).
local function hit(m)
  if fl > 0 and sub(m, ks, ks + fl - 1) == filter then return true end
  if text == '' then return fl == 0 end
  local z = find(m, NUL, ks, true)
  return z ~= nil and find(m, text, z + 1, true) ~= nil
end
local function range(z, min, max, ...)
  if asc then return redis.call('ZRANGEBYLEX', z, min, max, ...) end
  return redis.call('ZREVRANGEBYLEX', z, max, min, ...)
end
local function emit(b)
  table.insert(out, b)
  table.insert(out, redis.call('HGET', r, uid(b)) or '{"s":"pending"}')
end
-- Walks [min, max] of z in chunks, each continuing after the last member seen: counts the matches
-- (when a.count) and, when page, takes the page's rows in the page's order.
local function walk(z, min, max, page)
  while true do
    if page and want == 0 and not a.count then return end
    local chunk
    if page then chunk = range(z, min, max, 'LIMIT', 0, step)
    else chunk = redis.call('ZRANGEBYLEX', z, min, max, 'LIMIT', 0, step) end
    for i = 1, #chunk do
      local m = chunk[i]
      if hit(m) then
        total = total + 1
        if page and want > 0 then
          if skip > 0 then skip = skip - 1 else
            emit((base(m)))
            want = want - 1
          end
        end
      end
    end
    if #chunk < step then return end
    if asc or not page then min = '(' .. chunk[#chunk] else max = '(' .. chunk[#chunk] end
  end
end
-- The other side of a bound: '(x' <-> '[x'.
local function flip(b)
  if string.sub(b, 1, 1) == '(' then return '[' .. string.sub(b, 2) end
  return '(' .. string.sub(b, 2)
end
for _, s in ipairs(a.segs) do
  local z = r .. ':ix:' .. s[1]
  if filter ~= '' or text ~= '' then
    if a.count then
      -- The matches before the cursor count too (the same walk, over the rest of the segment).
      if s[4] == '' then walk(z, s[2], s[3], false)
      elseif asc and s[4] ~= s[2] then walk(z, s[2], flip(s[4]), false)
      elseif not asc and s[5] ~= s[3] then walk(z, flip(s[5]), s[3], false) end
    end
    if s[4] ~= '' then walk(z, s[4], s[5], true) end
  else
    total = total + redis.call('ZLEXCOUNT', z, s[2], s[3])
    if s[4] ~= '' and want > 0 then
      local got = range(z, s[4], s[5], 'LIMIT', skip, want)
      if #got == 0 and skip > 0 then
        skip = math.max(0, skip - redis.call('ZLEXCOUNT', z, s[4], s[5]))
      else
        skip = 0
      end
      for _, m in ipairs(got) do
        emit((base(m)))
        want = want - 1
      end
    end
  end
end
if a.count or (filter == '' and text == '') then out[1] = total else out[1] = 0 end
return out`;


/**
 * One bounded step of a search walk (src/store/redis/notices.ts, searchPage): reads at most n
 * members of an index sorted set in a lex range, in the page's order, and keeps only what has to
 * leave Redis — how many matched, and the rows of the page. The caller loops, continuing after the
 * last member read, so no call holds Redis for more than n members (see SEARCH_STEP there).
 * KEYS: r (the recipients hash), z (the index sorted set), g (its generation, `<r>:ix:g`).
 * ARGV: min, max (ZRANGEBYLEX bounds of what is left to walk, as Redis spells them: '-', '+',
 * '[x', '(x'), order 'asc'|'desc', ks (where the user id starts in a member: 1, or the key's
 * length + 2 for '<key>:<userId>' members), keyed ('1' for those), filter (user id prefix, '' =
 * none), text (A–Z lowered; a member matches when its search suffix contains it, or when the filter
 * is not '' and its user id starts with the filter), n (most members read), skip (matches still
 * to skip before the page), want (rows still wanted; 0 = count only), count ('1': read the n
 * members whatever the page needs; '0': stop at the row that fills the page), mark (K: also return
 * the whole member of every match whose number in the walk is a multiple of K — the search's
 * checkpoints; 0 = none), seen (matches the walk met before this call, numbering them).
 * A match is checked with plain string.find (no pattern) on the member itself: no record read or
 * decoded but the page's rows, no string made per member.
 * Returns {generation, matches, next, skip left, R, member1, record1, … (R values), marked members…}:
 * next = the last member read when n were read (continue after it, '(' .. next), '' when the range
 * ended or the page is full without count; page members without their search suffix, marked ones
 * with it (a lex bound to start a later walk at).
 */
export const RECIPIENT_SCAN = `
local min, max, asc = ARGV[1], ARGV[2], ARGV[3] == 'asc'
local ks, keyed, filter, text = tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6], ARGV[7]
local n, skip, want, count = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1'
local mark, seen = tonumber(ARGV[12]) or 0, tonumber(ARGV[13]) or 0
local marks = {}
local chunk
if asc then chunk = redis.call('ZRANGEBYLEX', KEYS[2], min, max, 'LIMIT', 0, n)
else chunk = redis.call('ZREVRANGEBYLEX', KEYS[2], max, min, 'LIMIT', 0, n) end
local find, sub = string.find, string.sub
local NUL = string.char(0)
local fl = #filter
local matches = 0
local rows = {}
local full = false
for i = 1, #chunk do
  local m = chunk[i]
  local hit = fl > 0 and sub(m, ks, ks + fl - 1) == filter
  if not hit and text ~= '' then
    local z = find(m, NUL, ks, true)
    hit = z ~= nil and find(m, text, z + 1, true) ~= nil
  end
  if hit then
    if mark > 0 and (seen + matches) % mark == 0 then marks[#marks + 1] = m end
    matches = matches + 1
    if skip > 0 then skip = skip - 1
    elseif want > 0 then
      local z = find(m, NUL, ks, true)
      local b = m
      if z then b = sub(m, 1, z - 1) end
      local u = b
      if keyed then u = sub(b, ks) end
      rows[#rows + 1] = b
      rows[#rows + 1] = redis.call('HGET', KEYS[1], u) or '{"s":"pending"}'
      want = want - 1
      if want == 0 and not count then
        full = true
        break
      end
    end
  end
end
local nxt = ''
if not full and #chunk == n then nxt = chunk[#chunk] end
local out = {redis.call('GET', KEYS[3]) or '0', matches, nxt, skip, #rows}
for i = 1, #rows do out[#out + 1] = rows[i] end
for i = 1, #marks do out[#out + 1] = marks[i] end
return out`;

/**
 * Stores a search's total and checkpoints in the cache of its broadcast's index (see the
 * recipients index above). KEYS: `<r>:ix:n`. ARGV: ttl ms, most fields (the hash is emptied first
 * when it would hold more: entries of older generations are dead weight), then field, value pairs.
 */
export const SEARCH_COUNT_PUT = `
if redis.call('HLEN', KEYS[1]) + (#ARGV - 2) / 2 > tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1`;
