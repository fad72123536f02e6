// `driftwatch demo` against a running system: it finds the injected lines, and a second run
// signs in with the saved account instead of signing up again (sign-ups are rate-limited).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/tools/demo/run.js';
import { ensureDemoTenant, type System } from '../../src/system.js';
import { startTestSystem } from '../helpers/system.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let sys: System;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-demo-'));
  sys = await startTestSystem(db.url);
});

afterAll(async () => {
  await sys?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('driftwatch demo', () => {
  it('finds the injected lines, and reuses its saved account on the next run', async () => {
    const lines: string[] = [];
    const opts = {
      controlUrl: sys.controlUrl!, engineUrl: sys.engineUrl!, accountFile: join(dir, 'demo-account.json'),
      lines: 3000, anomalies: 10, waitSeconds: 20, out: (l: string) => { lines.push(l); },
    };
    const first = await runDemo(opts);
    expect(first.sent).toBe(3000);
    expect(first.injectedFound).toBeGreaterThanOrEqual(8);
    expect(first.otherFlagged).toBeLessThanOrEqual(30);
    expect(lines.some((l) => l.startsWith('registered demo-'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d+ of 10 injected lines found; \d+ other lines flagged among 2990 normal ones$/);

    lines.length = 0;
    const second = await runDemo(opts);
    expect(second.injectedFound).toBeGreaterThanOrEqual(8);
    expect(lines.some((l) => l.startsWith('signed in as demo-'))).toBe(true);
    const { rows } = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE email LIKE 'demo-%'");
    expect(Number(rows[0].n)).toBe(1);

    // 6,000 of the free plan's 10,000 events used: a run of 4,500 would be refused (quota), so
    // the demo signs up a fresh throw-away account instead.
    lines.length = 0;
    const third = await runDemo({ ...opts, lines: 4_500 });
    expect(third.sent).toBe(4_500);
    expect(lines).toContain("the demo account has used 6000 of its Free plan's 10000 events this month; signing up a fresh one");
    const after = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE email LIKE 'demo-%'");
    expect(Number(after.rows[0].n)).toBe(2);
  }, 120_000);

  it("the demo tenant that `up` creates is on the business plan (not held to the free plan's quota)", async () => {
    // startTestSystem runs without DEMO_TENANT; this is what `up` calls.
    expect(await ensureDemoTenant({ pool: db.pool } as Parameters<typeof ensureDemoTenant>[0])).toMatch(/^dw_/);
    const { plan } = (await db.pool.query<{ plan: string }>("SELECT plan FROM tenants WHERE slug = 'demo'")).rows[0];
    expect(plan).toBe('business');
  });

  it('says clearly when the system is not running', async () => {
    await expect(runDemo({ controlUrl: 'http://127.0.0.1:9', engineUrl: 'http://127.0.0.1:9', out: () => {} }))
      .rejects.toThrow(/does not answer .* start the system first/);
  });
});
