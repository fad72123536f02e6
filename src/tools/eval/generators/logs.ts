// Generator `logs`: several interleaved log streams with benign novelty and labelled incidents.
//
//   seed ─► seeded() ─► 4 services (api, payments, worker, auth), Poisson arrivals in event time
//   │       (~25 lines/s together, 40 minutes), fresh request ids, users, amounts and latencies on
//   │       every normal line, a few rare benign lines (config reload, cache warm-up); payments and
//   │       auth lines carry metadata {region, tier}
//   └─► incidents after a 5-minute warm-up, each labelled with its kind:
//         new_error        a never-seen error template (1-3 lines)
//         rare_error       one error template recurring sporadically all stream long, once as a
//                          long burst (120 lines in 48 s); every recurrence is an incident
//         unusual_value    a known api line with a 5xx status, or 30× the route's latency
//         unseen_category  a currency in the text, or a region in the metadata, never seen
//         retry_storm      the usually infrequent retry line 40-80 times within a few seconds
//   ─► events in our ingest shape, sorted by time; labels {"anomalous", "kinds"}
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { seeded, type Random } from './random.js';

interface Ev {
  ts: number;
  stream: string;
  text: string;
  metadata?: Record<string, string>;
  kind?: string;
}

const ROUTES = ['/api/orders', '/api/cart', '/api/search', '/api/users', '/api/catalog', '/api/reviews'];
const CURRENCIES = ['USD', 'EUR', 'GBP'];
const NEW_CURRENCIES = ['JPY', 'CHF', 'BRL', 'XAU', 'INR'];
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];
const NEW_REGIONS = ['ap-south-1', 'sa-east-1', 'af-south-1', 'me-central-1'];
const QUEUES = ['emails', 'thumbnails', 'exports'];
const FIRST = ['ana', 'ben', 'chen', 'dara', 'eli', 'femi', 'gus', 'hana', 'ivan', 'jo', 'kai', 'lea', 'mo', 'nia', 'omar', 'pia', 'quin', 'raj', 'sam', 'tara', 'uma', 'vic', 'wen', 'xia', 'yuri', 'zoe'];
const NEW_ERRORS: ((r: Random) => string)[] = [
  (r) => `ERROR payments ledger write rejected: constraint violation on entry ${r.hex(12)}; transaction rolled back`,
  (r) => `FATAL worker-${r.int(0, 7)} panic: runtime error: index out of range [${r.int(0, 9)}] with length 0`,
  (r) => `ERROR api upstream inventory-svc returned malformed JSON at byte ${r.int(0, 4000)}: unexpected token '<'`,
  () => `CRITICAL auth signing key not found in keystore; refusing to issue tokens`,
  (r) => `ERROR worker disk quota exceeded on /var/spool/jobs (${r.int(95, 99)}% used), job dropped`,
  (r) => `ERROR db deadlock detected while updating table orders, victim session ${r.hex(8)}`,
  () => `ERROR api TLS handshake with search-backend failed: certificate verify failed (self signed certificate in chain)`,
  (r) => `FATAL payments out of memory while allocating ${r.int(100, 999)} MiB for settlement batch`,
];

function gauss(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** Several interleaved log streams over `minutes` of event time. */
export function generateLogs(seed: number, minutes = 40): GeneratedSet {
  const r = seeded(seed);
  const user = (): string => `${r.pick(FIRST)}${r.int(0, 999)}`;
  const t0 = Date.UTC(2026, 5, 1, 8, 0, 0) + (seed % 1000) * 86_400_000;
  const end = t0 + minutes * 60_000;
  const evs: Ev[] = [];
  const lat = new Map(ROUTES.map((x) => [x, 20 + r.int(0, 200)]));
  const statuses = new Map(ROUTES.map((x, i) => [x, i % 2 === 0 ? ['200', '201'] : ['200', '200', '304']]));
  const latency = (route: string): number => Math.max(1, Math.round((lat.get(route) as number) * Math.exp(0.35 * gauss(r))));
  const apiLine = (route: string, status: string, ms: number): string =>
    `INFO api ${r.pick(['GET', 'GET', 'POST'])} ${route} status=${status} latency_ms=${ms} user=${user()} req=${r.hex(16)}`;
  const payLine = (cur: string): string => `INFO payments charge captured amount=${(r.next() * 500).toFixed(2)} currency=${cur} customer=${user()} txn=${r.hex(12)}`;
  const meta = (region: string): Record<string, string> => ({ region, tier: r.pick(['free', 'pro', 'pro', 'enterprise']) });
  const retryLine = (): string => `WARN worker retrying job ${r.hex(10)} attempt=${r.int(2, 3)} after timeout`;

  const streams: { name: string; rate: number; make: () => Omit<Ev, 'ts' | 'stream'> }[] = [
    { name: 'api', rate: 12, make: () => { const route = r.pick(ROUTES); return { text: apiLine(route, r.pick(statuses.get(route) as string[]), latency(route)) }; } },
    { name: 'payments', rate: 4, make: () => ({ text: r.chance(0.9) ? payLine(r.pick(CURRENCIES)) : `INFO payments refund issued amount=${(r.next() * 80).toFixed(2)} currency=${r.pick(CURRENCIES)} customer=${user()}`, metadata: meta(r.pick(REGIONS)) }) },
    {
      name: 'worker',
      rate: 6,
      make: () => {
        const k = r.next();
        if (k < 0.6) return { text: `INFO worker job ${r.hex(10)} done in ${Math.round(50 * Math.exp(0.5 * gauss(r)))}ms queue=${r.pick(QUEUES)}` };
        if (k < 0.97) return { text: `DEBUG worker picked job ${r.hex(10)} attempt=1 queue=${r.pick(QUEUES)}` };
        return { text: retryLine() };
      },
    },
    { name: 'auth', rate: 3, make: () => ({ text: r.chance(0.85) ? `INFO auth login ok user=${user()} method=${r.pick(['password', 'sso', 'sso', 'passkey'])} ip=10.${r.int(0, 254)}.${r.int(0, 254)}.${r.int(0, 254)}` : `INFO auth token refreshed user=${user()} ttl=3600`, metadata: meta(r.pick(REGIONS)) }) },
  ];
  for (const s of streams) {
    for (let t = t0; t < end; t += Math.max(1, Math.round(r.exp(1000 / s.rate)))) evs.push({ ts: t, stream: s.name, ...s.make() });
  }
  // Rare benign lines (not labelled).
  for (let k = 0; k < 6; k++) {
    const ts = t0 + Math.floor(r.next() * (end - t0));
    evs.push({ ts, stream: r.pick(['api', 'worker']), text: r.pick([`INFO config reloaded from /etc/app/config.yaml version=${r.int(10, 99)}`, `INFO cache warmed entries=${r.int(0, 99999)}`, `NOTICE scheduled maintenance window announced for ${r.pick(REGIONS)}`]) });
  }
  injectIncidents(evs, { r, t0, end, seed, apiLine, payLine, meta, retryLine, latency, statuses });
  return finish(evs);
}

interface Ctx {
  r: Random;
  t0: number;
  end: number;
  seed: number;
  apiLine: (route: string, status: string, ms: number) => string;
  payLine: (cur: string) => string;
  meta: (region: string) => Record<string, string>;
  retryLine: () => string;
  latency: (route: string) => number;
  statuses: Map<string, string[]>;
}

function injectIncidents(evs: Ev[], c: Ctx): void {
  const { r } = c;
  const at = (): number => c.t0 + 300_000 + Math.floor(r.next() * (c.end - c.t0 - 330_000));
  for (let k = 0; k < 3; k++) {
    const ts = at();
    const make = NEW_ERRORS[(c.seed * 3 + k) % NEW_ERRORS.length];
    const stream = r.pick(['api', 'payments', 'worker', 'auth']);
    const n = r.int(1, 3);
    for (let j = 0; j < n; j++) evs.push({ ts: ts + j * 150, stream, text: make(r), kind: 'new_error' });
  }
  const rare = (): string => `ERROR payments gateway timeout talking to acquirer ${r.pick(['adyen', 'stripe'])} after 30000ms ref=${r.hex(8)}`;
  const burstAt = c.t0 + 300_000 + Math.floor(r.next() * 300_000);
  for (let j = 0; j < 120; j++) evs.push({ ts: burstAt + j * 400, stream: 'payments', text: rare(), metadata: c.meta(r.pick(REGIONS)), kind: 'rare_error' });
  for (let k = 0; k < 6; k++) evs.push({ ts: at(), stream: 'payments', text: rare(), metadata: c.meta(r.pick(REGIONS)), kind: 'rare_error' });
  for (let k = 0; k < 4; k++) {
    const route = r.pick(ROUTES);
    const ts = at();
    if (k % 2 === 0) evs.push({ ts, stream: 'api', text: c.apiLine(route, r.pick(['500', '502', '503']), c.latency(route)), kind: 'unusual_value' });
    else evs.push({ ts, stream: 'api', text: c.apiLine(route, r.pick(c.statuses.get(route) as string[]), c.latency(route) * 30), kind: 'unusual_value' });
  }
  for (let k = 0; k < 3; k++) {
    const ts = at();
    if (k % 2 === 0) evs.push({ ts, stream: 'payments', text: c.payLine(r.pick(NEW_CURRENCIES)), metadata: c.meta(r.pick(REGIONS)), kind: 'unseen_category' });
    else evs.push({ ts, stream: r.pick(['payments', 'auth']), text: c.payLine(r.pick(CURRENCIES)), metadata: c.meta(r.pick(NEW_REGIONS)), kind: 'unseen_category' });
  }
  for (let k = 0; k < 2; k++) {
    const ts = at();
    const n = r.int(40, 80);
    for (let j = 0; j < n; j++) evs.push({ ts: ts + j * 10, stream: 'worker', text: c.retryLine(), kind: 'retry_storm' });
  }
}

function finish(evs: Ev[]): GeneratedSet {
  evs.sort((a, b) => a.ts - b.ts);
  const events: GeneratedEvent[] = [];
  const anomalous: number[] = [];
  const kinds: Record<string, string> = {};
  evs.forEach((e, i) => {
    const ev: GeneratedEvent = { timestamp: new Date(e.ts).toISOString(), stream: e.stream, stream_type: 'logs', data: e.text };
    if (e.metadata !== undefined) ev.metadata = e.metadata;
    events.push(ev);
    if (e.kind !== undefined) {
      anomalous.push(i);
      kinds[String(i)] = e.kind;
    }
  });
  return { events, labels: { anomalous, kinds } };
}

export const logsGenerator: Generator = {
  describe: 'four interleaved services with fresh ids on normal lines; incidents: new_error, rare_error, unusual_value, unseen_category, retry_storm',
  generate: (seed) => generateLogs(seed),
};
