// A local stand-in for the Fly.io Machines API (https://api.machines.dev/v1), for the fly
// driver's tests. It implements the documented endpoints and states and checks what it gets:
//
//   GET    /v1/apps/{app}/machines                 list (?metadata.<key>=<value>, ?include_deleted)
//   POST   /v1/apps/{app}/machines                 create {name, region, config{image, env, metadata}}
//   GET    /v1/apps/{app}/machines/{id}            get
//   POST   /v1/apps/{app}/machines/{id}/start      created|stopped ─▶ starting ─(startDelayMs)─▶ started
//   POST   /v1/apps/{app}/machines/{id}/stop       started ─▶ stopping ─(stopDelayMs)─▶ stopped
//   DELETE /v1/apps/{app}/machines/{id}?force=     ─▶ destroyed (412 when started without force)
//   GET    /v1/apps/{app}/machines/{id}/wait       ?state=started|stopped|suspended|destroyed&timeout=s (≤ 60): 200, or 408
//   POST/GET/DELETE /v1/apps/{app}/machines/{id}/lease   {ttl, description} ─▶ {status, data{nonce, expires_at, owner, description, version}}
//
// Realism the tests rely on: Bearer token checked (401); a machine is 404 on the per-machine
// endpoints for notFoundAfterCreateMs after its create (eventual consistency); a leased
// machine refuses mutations without its nonce (409); regions listed in `full` answer 422
// {"status": "insufficient_capacity"}; a name already used by a live machine answers 409
// {"status": "name_taken"} (an assumption: the docs call names unique, not how a clash is reported).
// Tests inject answers (429 with Retry-After, 5xx) with inject(), drop the answer to a create
// that did happen with dropNextCreateAnswer, and read every request from `requests`.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type FakeState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'destroying' | 'destroyed' | 'failed';

export interface FakeMachine {
  id: string;
  name: string;
  state: FakeState;
  region: string;
  instance_id: string;
  private_ip: string;
  config: { image: string; env?: Record<string, string>; metadata?: Record<string, string>; [k: string]: unknown };
  created_at: string;
  updated_at: string;
  /** Per-machine endpoints answer 404 until then. */
  visibleAt: number;
  lease?: { nonce: string; expires_at: number; owner: string; description: string; version: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  nonce: string | undefined;
  body: unknown;
  status: number;
  at: number;
}

export interface InjectRule {
  method?: string;
  /** Matched against the path without the query. */
  path?: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many requests it answers (default 1). */
  times?: number;
}

export interface FakeFlyOptions {
  token?: string;
  app?: string;
  notFoundAfterCreateMs?: number;
  startDelayMs?: number;
  stopDelayMs?: number;
  /** The longest a wait holds before 408 (Fly: 60 s; tests shorten it). */
  maxWaitSeconds?: number;
}

export class FakeFly {
  readonly token: string;
  readonly app: string;
  readonly machines = new Map<string, FakeMachine>();
  readonly requests: RecordedRequest[] = [];
  /** Regions without capacity. */
  readonly full = new Set<string>();
  dropNextCreateAnswer = false;
  #rules: (InjectRule & { left: number })[] = [];
  #o: Required<FakeFlyOptions>;
  #server: Server;
  #events = new EventEmitter();
  #timers = new Set<NodeJS.Timeout>();
  url = '';

  constructor(opts: FakeFlyOptions = {}) {
    this.#o = {
      token: opts.token ?? 'fly-test-token', app: opts.app ?? 'dw-test', notFoundAfterCreateMs: opts.notFoundAfterCreateMs ?? 300,
      startDelayMs: opts.startDelayMs ?? 150, stopDelayMs: opts.stopDelayMs ?? 100, maxWaitSeconds: opts.maxWaitSeconds ?? 60,
    };
    this.token = this.#o.token;
    this.app = this.#o.app;
    this.#events.setMaxListeners(0);
    this.#server = createServer((req, res) => { void this.#handle(req, res); });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  inject(rule: InjectRule): void {
    this.#rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** Requests matching method and a path pattern. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  live(): FakeMachine[] {
    return [...this.machines.values()].filter((m) => m.state !== 'destroyed');
  }

  /** Moves a machine to a state at once (tests: a machine that fails on the platform). */
  setState(id: string, state: FakeState): void {
    const m = this.machines.get(id)!;
    this.#set(m, state);
  }

  #set(m: FakeMachine, state: FakeState): void {
    m.state = state;
    m.updated_at = new Date().toISOString();
    this.#events.emit('state', m.id);
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    this.#timers.add(t);
  }

  #json(m: FakeMachine): Record<string, unknown> {
    const { visibleAt: _v, lease: _l, ...rest } = m;
    return rest;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try { body = raw === '' ? undefined : JSON.parse(raw); } catch { body = raw; }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams),
      nonce: req.headers['fly-machine-lease-nonce'] as string | undefined, body, status: 0, at: Date.now(),
    };
    this.requests.push(rec);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const rule = this.#rules.find((r) => r.left > 0 && (r.method === undefined || r.method === rec.method) && (r.path === undefined || r.path.test(rec.path)));
    if (rule !== undefined) {
      rule.left--;
      return send(rule.status, rule.body ?? { error: `injected ${rule.status}` }, rule.headers);
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'You must be authenticated to view this.' });
    const m = /^\/v1\/apps\/([^/]+)\/machines(?:\/([^/]+))?(?:\/([a-z_]+))?\/?$/.exec(u.pathname);
    if (m === null) return send(404, { error: 'not found' });
    const [, app, id, verb] = m;
    if (app !== this.app) return send(404, { error: `app ${app} not found` });
    if (id === undefined) {
      if (rec.method === 'GET') return this.#list(u, send);
      if (rec.method === 'POST') return this.#create(body, send, res, rec);
      return send(405, { error: 'method not allowed' });
    }
    const mc = this.machines.get(id);
    if (mc === undefined || Date.now() < mc.visibleAt) return send(404, { error: 'machine not found' });
    const leased = mc.lease !== undefined && mc.lease.expires_at * 1000 > Date.now();
    const mutation = !(rec.method === 'GET' || verb === 'lease');
    if (mutation && leased && rec.nonce !== mc.lease!.nonce) {
      return send(409, { error: `machine ${id} is currently leased by ${mc.lease!.owner}; send its nonce in fly-machine-lease-nonce` });
    }
    switch (`${rec.method} ${verb ?? ''}`) {
      case 'GET ': return send(200, this.#json(mc));
      case 'POST start': {
        const prev = mc.state;
        if (prev === 'destroyed' || prev === 'destroying') return send(412, { error: `unable to start machine from current state: '${prev}'` });
        if (prev === 'created' || prev === 'stopped' || prev === 'failed') {
          this.#set(mc, 'starting');
          this.#later(this.#o.startDelayMs, () => { if (mc.state === 'starting') this.#set(mc, 'started'); });
        }
        return send(200, { previous_state: prev });
      }
      case 'POST stop': {
        if (mc.state === 'started' || mc.state === 'starting') {
          this.#set(mc, 'stopping');
          this.#later(this.#o.stopDelayMs, () => { if (mc.state === 'stopping') this.#set(mc, 'stopped'); });
        }
        return send(200, { ok: true });
      }
      case 'DELETE ': {
        if ((mc.state === 'started' || mc.state === 'starting') && u.searchParams.get('force') !== 'true') {
          return send(412, { error: 'unable to destroy machine, not currently stopped' });
        }
        mc.lease = undefined;
        this.#set(mc, 'destroyed');
        return send(200, { ok: true });
      }
      case 'GET wait': return this.#wait(mc, u, send);
      case 'POST lease': {
        if (leased && rec.nonce !== mc.lease!.nonce) return send(409, { error: `lease currently held by ${mc.lease!.owner}`, status: 'conflict' });
        const ttl = Number((body as { ttl?: unknown } | undefined)?.ttl ?? u.searchParams.get('ttl') ?? 30);
        mc.lease = {
          nonce: leased ? mc.lease!.nonce : randomBytes(6).toString('hex'), expires_at: Math.floor(Date.now() / 1000) + ttl,
          owner: 'driftwatch@example.com', description: String((body as { description?: unknown } | undefined)?.description ?? ''),
          version: randomBytes(8).toString('hex'),
        };
        return send(200, { status: 'success', data: mc.lease });
      }
      case 'GET lease':
        if (!leased) return send(404, { error: 'no active lease' });
        return send(200, { status: 'success', data: mc.lease });
      case 'DELETE lease':
        if (leased && rec.nonce !== mc.lease!.nonce) return send(409, { error: 'the nonce does not match the lease' });
        mc.lease = undefined;
        return send(200, { status: 'success' });
      default:
        return send(404, { error: 'not found' });
    }
  }

  #list(u: URL, send: (s: number, p: unknown) => void): void {
    const filters = [...u.searchParams].filter(([k]) => k.startsWith('metadata.')).map(([k, v]) => [k.slice(9), v] as const);
    const includeDeleted = u.searchParams.get('include_deleted') === 'true';
    const out = [...this.machines.values()].filter((m) =>
      (includeDeleted || m.state !== 'destroyed') && filters.every(([k, v]) => m.config.metadata?.[k] === v));
    send(200, out.map((m) => this.#json(m)));
  }

  #create(body: unknown, send: (s: number, p: unknown) => void, res: ServerResponse, rec: RecordedRequest): void {
    const b = body as { name?: unknown; region?: unknown; config?: { image?: unknown; [k: string]: unknown }; skip_launch?: unknown } | undefined;
    if (typeof b !== 'object' || b === null || typeof b.config?.image !== 'string') return send(400, { error: 'config.image is required' });
    const region = typeof b.region === 'string' ? b.region : 'iad';
    if (this.full.has(region)) {
      return send(422, { error: `insufficient resources available to fulfill request: could not reserve resource for machine in ${region}`, status: 'insufficient_capacity' });
    }
    const name = typeof b.name === 'string' ? b.name : `machine-${randomBytes(4).toString('hex')}`;
    if (this.live().some((x) => x.name === name)) return send(409, { error: `a machine named ${name} already exists`, status: 'name_taken' });
    const id = randomBytes(7).toString('hex');
    const now = new Date().toISOString();
    const mc: FakeMachine = {
      id, name, state: 'created', region, instance_id: randomBytes(13).toString('hex').slice(0, 26).toUpperCase(),
      private_ip: `fdaa:0:1:a7b:${randomBytes(2).toString('hex')}::2`, config: b.config as FakeMachine['config'],
      created_at: now, updated_at: now, visibleAt: Date.now() + this.#o.notFoundAfterCreateMs,
    };
    this.machines.set(id, mc);
    if (b.skip_launch !== true) {
      this.#set(mc, 'starting');
      this.#later(this.#o.startDelayMs, () => { if (mc.state === 'starting') this.#set(mc, 'started'); });
    }
    if (this.dropNextCreateAnswer) {
      // The machine exists; the client never hears so.
      this.dropNextCreateAnswer = false;
      rec.status = -1;
      res.socket?.destroy();
      return;
    }
    send(200, this.#json(mc));
  }

  #wait(mc: FakeMachine, u: URL, send: (s: number, p: unknown) => void): void {
    const state = u.searchParams.get('state') ?? 'started';
    if (!['started', 'stopped', 'suspended', 'destroyed'].includes(state)) return send(400, { error: `invalid state ${state}` });
    const asked = Number(u.searchParams.get('timeout') ?? 60);
    if (!Number.isInteger(asked) || asked < 1) return send(400, { error: 'timeout must be a positive number of seconds' });
    const seconds = Math.min(asked, 60, this.#o.maxWaitSeconds);
    if (mc.state === state) return send(200, { ok: true });
    const onState = (id: string): void => {
      if (id !== mc.id || mc.state !== state) return;
      done();
      send(200, { ok: true });
    };
    const timer = setTimeout(() => { done(); send(408, { error: `deadline_exceeded: machine did not reach ${state} in ${seconds}s` }); }, seconds * 1000);
    const done = (): void => { clearTimeout(timer); this.#events.off('state', onState); };
    this.#events.on('state', onState);
  }
}

export async function startFakeFly(opts: FakeFlyOptions = {}): Promise<FakeFly> {
  return new FakeFly(opts).listen();
}
