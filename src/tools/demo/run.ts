// `driftwatch demo`: against a running system, signs up a throw-away account (or uses
// DRIFTWATCH_API_KEY), streams a synthetic log with injected anomalies to the engine over
// HTTP, then polls the control API and prints the anomalies found with their explanations,
// and how many of the injected lines were among them.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syntheticLog } from './synthetic.js';

export interface DemoOptions {
  controlUrl: string;
  engineUrl: string;
  apiKey?: string;
  /** Where the demo keeps its throw-away account between runs (sign-ups are rate-limited). */
  accountFile?: string;
  lines?: number;
  anomalies?: number;
  batch?: number;
  waitSeconds?: number;
  out?: (line: string) => void;
}

export interface DemoResult {
  sent: number;
  injected: number[];
  found: number;
  injectedFound: number;
  otherFlagged: number;
}

interface AnomalyJson { id: string; stream: string; score: number; detector: string; explanation: string; event: { data?: unknown; metadata?: { line?: number } } }

async function call<T>(method: string, url: string, body: unknown, auth?: string, contentType = 'application/json'): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': contentType } : {}), ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json: unknown = text === '' ? {} : JSON.parse(text);
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    throw new Error(`${method} ${url} → ${res.status} ${e?.code ?? ''} ${e?.message ?? text}`);
  }
  return json as T;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  for (const [name, url] of [['control API', opts.controlUrl], ['engine', opts.engineUrl]] as const) {
    try {
      await call('GET', `${url}/health`, undefined);
    } catch (err) {
      throw new Error(`the ${name} at ${url} does not answer (${(err as Error).message}); start the system first with \`npm start\``);
    }
  }

  let apiKey = opts.apiKey;
  let readToken = apiKey;
  const lines = opts.lines ?? 10_000;
  if (apiKey === undefined) {
    let account = await demoAccount(opts, out);
    // A new account is on the free plan (10,000 events a month): one run fits. When the saved
    // account has no room left for this run this month, sign up a fresh one rather than be refused.
    const usage = await call<{ plan_name: string; events: number; events_limit: number | null; events_remaining: number | null }>(
      'GET', `${opts.controlUrl}/api/v1/usage`, undefined, account);
    if (usage.events_remaining !== null && usage.events_remaining < lines) {
      out(`the demo account has used ${usage.events} of its ${usage.plan_name} plan's ${usage.events_limit} events this month; signing up a fresh one`);
      account = await demoAccount(opts, out, true);
    }
    const key = await call<{ key: string }>('POST', `${opts.controlUrl}/api/v1/api-keys`, { name: 'demo agent', scopes: ['ingest', 'read'] }, account);
    apiKey = key.key;
    readToken = account;
  }

  const log = syntheticLog({ lines, anomalies: opts.anomalies ?? 30 });
  const stream = `demo-web-${randomBytes(3).toString('hex')}`;
  const batch = opts.batch ?? 1_000;
  const t0 = Date.now();
  let sent = 0;
  for (let i = 0; i < log.lines.length; i += batch) {
    const events = log.lines.slice(i, i + batch).map((line, j) => ({
      timestamp: new Date(t0 + (i + j) * 10).toISOString(),
      stream_type: 'logs',
      stream,
      data: line,
      metadata: { source: 'demo', line: i + j },
    }));
    const r = await call<{ accepted: number }>('POST', `${opts.engineUrl}/api/v1/events/ingest`, events, apiKey);
    sent += r.accepted;
    out(`sent ${sent}/${log.lines.length} events`);
  }
  out(`all ${sent} events acknowledged (stored) in ${Date.now() - t0} ms; ${log.anomalous.length} anomalous lines were injected; waiting for the detectors...`);

  const injected = new Set(log.anomalous);
  const deadline = Date.now() + (opts.waitSeconds ?? 30) * 1000;
  let anomalies: AnomalyJson[] = [];
  let stableSince = Date.now();
  let last = -1;
  while (Date.now() < deadline) {
    const page = await call<{ anomalies: AnomalyJson[]; total: number }>('GET', `${opts.controlUrl}/api/v1/anomalies?stream=${encodeURIComponent(stream)}&limit=1000`, undefined, readToken);
    anomalies = page.anomalies;
    if (page.total !== last) { last = page.total; stableSince = Date.now(); }
    // The detector's last batch is done when the count has not moved for 2 s.
    if (page.total > 0 && Date.now() - stableSince > 2_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const hitLines = new Set<number>();
  let onInjected = 0;
  for (const a of anomalies) {
    const line = a.event.metadata?.line;
    if (typeof line === 'number' && injected.has(line)) { hitLines.add(line); onInjected++; }
  }
  out('');
  out(`anomalies found in stream ${stream} (newest first):`);
  for (const a of anomalies.slice(0, 50)) {
    const line = a.event.metadata?.line;
    const mark = typeof line === 'number' && injected.has(line) ? 'injected' : 'other   ';
    out(`  [${mark}] line ${String(line).padStart(5)} score ${a.score.toFixed(3)} ${a.detector}: ${a.explanation}`);
    out(`             ${String(a.event.data).slice(0, 140)}`);
  }
  if (anomalies.length > 50) out(`  ... and ${anomalies.length - 50} more`);
  const otherFlagged = anomalies.length - onInjected;
  out('');
  out(`${hitLines.size} of ${injected.size} injected lines found; ${otherFlagged} other lines flagged among ${sent - injected.size} normal ones`);
  return { sent, injected: log.anomalous, found: anomalies.length, injectedFound: hitLines.size, otherFlagged };
}

interface SavedAccount { controlUrl: string; email: string; password: string }

/** Signs in with the saved demo account for this control API, or signs up a new one and saves it. */
async function demoAccount(opts: DemoOptions, out: (l: string) => void, fresh = false): Promise<string> {
  const file = opts.accountFile;
  if (!fresh && file !== undefined && existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as SavedAccount;
    if (saved.controlUrl === opts.controlUrl) {
      try {
        const login = await call<{ token: string }>('POST', `${opts.controlUrl}/api/v1/auth/login`, { email: saved.email, password: saved.password });
        out(`signed in as ${saved.email} (saved in ${file})`);
        return login.token;
      } catch {
        // a different database behind the same URL: sign up again below
      }
    }
  }
  const email = `demo-${randomBytes(4).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('base64url');
  const reg = await call<{ token: string }>('POST', `${opts.controlUrl}/api/v1/auth/register`, { email, password, name: 'Demo User' });
  out(`registered ${email} (a new tenant)`);
  if (file !== undefined) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ controlUrl: opts.controlUrl, email, password } satisfies SavedAccount), { mode: 0o600 });
  }
  return reg.token;
}
