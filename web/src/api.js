// The page's session and API calls.
//
//   access token: in memory only (this module)          refresh token: HttpOnly cookie dw_refresh
//   401 / expired ─▶ refresh() ─▶ navigator.locks 'dw-refresh' (one tab at a time)
//                      ├─ another tab refreshed meanwhile (BroadcastChannel 'dw-session') ─▶ use its token
//                      └─ POST /api/v1/auth/refresh (X-DW-Session: cookie) ─▶ broadcast the new token
// A refresh token is single use: two tabs trading the same cookie would end the session, so
// refreshes are serialised across tabs and their result shared.
let token = null;
let tokenAt = 0;
let user = null;
const listeners = new Set();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('dw-session') : null;

function setSession(t, u, broadcast) {
  token = t;
  tokenAt = Date.now();
  if (u !== undefined) user = u;
  if (broadcast && channel) channel.postMessage({ token: t, user });
  for (const l of listeners) l();
}
if (channel) channel.onmessage = (e) => {
  if (e.data && 'token' in e.data) { token = e.data.token; tokenAt = Date.now(); user = e.data.user ?? user; for (const l of listeners) l(); }
};

export const session = {
  get signedIn() { return token !== null; },
  get user() { return user; },
  get token() { return token; },
  subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

async function raw(method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  const json = text === '' ? null : JSON.parse(text);
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const COOKIE = { 'x-dw-session': 'cookie' };

/** Trades the cookie for a new access token, once across all tabs. */
export async function refresh() {
  const before = tokenAt;
  const work = async () => {
    if (tokenAt > before && token !== null) return true; // another tab did it while we waited
    try {
      const r = await raw('POST', '/api/v1/auth/refresh', {}, COOKIE);
      setSession(r.token, r.user, true);
      if (user === null || r.user === undefined) await loadUser();
      return true;
    } catch {
      setSession(null, null, false);
      return false;
    }
  };
  return navigator.locks ? navigator.locks.request('dw-refresh', work) : work();
}

async function loadUser() {
  user = await api('GET', '/api/v1/user');
  if (channel) channel.postMessage({ token, user });
  for (const l of listeners) l();
}

export async function signIn(email, password) {
  const r = await raw('POST', '/api/v1/auth/login', { email, password }, COOKIE);
  setSession(r.token, r.user, true);
}

export async function signUp(name, email, password) {
  const r = await raw('POST', '/api/v1/auth/register', { name, email, password }, COOKIE);
  setSession(r.token, r.user, true);
}

export async function signOut() {
  try { await raw('POST', '/api/v1/auth/logout', undefined, { ...COOKIE, authorization: `Bearer ${token}` }); } catch { /* gone already */ }
  setSession(null, null, true);
}

/** An authenticated call; an expired token is refreshed once. */
export async function api(method, path, body) {
  if (token === null && !(await refresh())) throw new ApiError(401, { error: { code: 'DW_ERR_UNAUTHORIZED', message: 'signed out' } });
  try {
    return await raw(method, path, body, { authorization: `Bearer ${token}` });
  } catch (err) {
    if (err.status !== 401 || !(await refresh())) throw err;
    return raw(method, path, body, { authorization: `Bearer ${token}` });
  }
}

/**
 * The live feed (Server-Sent Events read over fetch, so the token travels in a header, not the
 * URL): calls onAnomaly for each pushed anomaly; reconnects after 2 s when the stream ends.
 */
export function live(onAnomaly, onState) {
  let stopped = false;
  let ctl = null;
  const run = async () => {
    while (!stopped) {
      try {
        if (token === null && !(await refresh())) { await sleep(5000); continue; }
        ctl = new AbortController();
        const res = await fetch('/api/v1/live', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: ctl.signal });
        if (res.status === 401) { await refresh(); continue; }
        if (!res.ok || !res.body) { onState?.(false); await sleep(5000); continue; }
        onState?.(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (event === 'anomaly' && data !== '') onAnomaly(JSON.parse(data));
          }
        }
      } catch { /* network or abort */ }
      onState?.(false);
      if (!stopped) await sleep(2000);
    }
  };
  void run();
  return () => { stopped = true; ctl?.abort(); };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
