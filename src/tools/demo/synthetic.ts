// A deterministic synthetic web-service log with injected anomalous lines, for `driftwatch
// demo` and the end-to-end tests. Normal lines come from a handful of templates with varying
// ids, IPs, paths and latencies; injected lines come from templates the stream never shows
// otherwise (crashes, kernel messages, odd payloads).

/** mulberry32: a small seeded PRNG, so that a seed always gives the same log. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A letters-only word for i (a, b, … z, aa, ba, …): a distinct name per i that digit masking leaves intact. */
export function letterWord(i: number): string {
  let w = '';
  do {
    w += String.fromCharCode(97 + (i % 26));
    i = Math.floor(i / 26);
  } while (i > 0);
  return w;
}

const PATHS = ['/api/orders', '/api/orders/{id}', '/api/users/{id}', '/api/cart', '/health', '/api/search', '/static/app.js', '/api/payments'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

const ANOMALIES: ((r: () => number, hex: (n: number) => string) => string)[] = [
  (r, hex) => `FATAL worker-${Math.floor(r() * 8)} panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV code=0x1 addr=0x${hex(6)} pc=0x${hex(7)}]`,
  () => 'kernel: Out of memory: Killed process 4121 (node) total-vm:8123456kB, anon-rss:7900123kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15840kB oom_score_adj:0',
  (r, hex) => `ERROR db pool exhausted: could not obtain connection within 30000ms; 64 waiting, last error: ECONNRESET from 10.${Math.floor(r() * 255)}.0.${Math.floor(r() * 255)}:5432 txid=${hex(12)}`,
  (r) => `java.lang.IllegalStateException: Queue full at com.shop.checkout.Dispatcher.offer(Dispatcher.java:${100 + Math.floor(r() * 900)}) at com.shop.checkout.Service.submit(Service.java:88)`,
  (_r, hex) => `WARN disk /var/lib/data is 99% full (2.1G of 240G free); compaction of segment ${hex(16)} aborted: No space left on device`,
  () => `AUTH failure: 4096 failed logins for user root from 185.220.101.17 in 60s; possible credential stuffing; blocking subnet`,
  (r) => `\u0000\u0003\u00ff\u00fe binary garbage ${String.fromCharCode(...Array.from({ length: 24 }, () => 0x2500 + Math.floor(r() * 128)))}`,
  (_r, hex) => `TLS handshake failed: certificate has expired (notAfter=2019-01-01T00:00:00Z) peer=payments.internal fingerprint=${hex(40)}`,
];

export interface SyntheticLog {
  lines: string[];
  /** Indices of injected anomalous lines, ascending. */
  anomalous: number[];
}

export function syntheticLog(opts: { lines?: number; anomalies?: number; seed?: number } = {}): SyntheticLog {
  const total = opts.lines ?? 10_000;
  const injected = opts.anomalies ?? 30;
  const r = prng(opts.seed ?? 42);
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const ip = (): string => `10.0.${Math.floor(r() * 8)}.${1 + Math.floor(r() * 254)}`;

  // Injected positions: spread over the log after a warm-up of 1,000 lines, no two adjacent.
  const positions = new Set<number>();
  const warm = Math.min(1_000, Math.floor(total / 5));
  while (positions.size < injected) {
    const p = warm + Math.floor(r() * (total - warm));
    if (!positions.has(p - 1) && !positions.has(p + 1)) positions.add(p);
  }

  const lines: string[] = [];
  for (let i = 0; i < total; i++) {
    if (positions.has(i)) {
      lines.push(pick(ANOMALIES)(r, hex));
      continue;
    }
    const kind = r();
    const req = hex(16);
    if (kind < 0.7) {
      const path = pick(PATHS).replace('{id}', String(Math.floor(r() * 100_000)));
      const status = r() < 0.97 ? 200 : pick([201, 204, 304, 404]);
      lines.push(`INFO http ${pick(METHODS)} ${path} status=${status} dur=${(2 + r() * 80).toFixed(1)}ms ip=${ip()} req=${req}`);
    } else if (kind < 0.85) {
      lines.push(`INFO auth user=${pick(USERS)} login ok session=${hex(24)} ip=${ip()}`);
    } else if (kind < 0.95) {
      lines.push(`DEBUG cache ${r() < 0.8 ? 'hit' : 'miss'} key=product:${Math.floor(r() * 5_000)} ttl=${Math.floor(60 + r() * 240)}s`);
    } else {
      lines.push(`WARN http slow request ${pick(PATHS).replace('{id}', String(Math.floor(r() * 100_000)))} dur=${(500 + r() * 700).toFixed(0)}ms req=${req}`);
    }
  }
  return { lines, anomalous: [...positions].sort((a, b) => a - b) };
}
