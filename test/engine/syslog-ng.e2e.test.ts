// syslog-ng (issue 13 item 5): Debian's syslog-ng-core + syslog-ng-mod-http, as a user would run
// it, reads a file and posts batches of plain `format-json` lines (NDJSON) to
// POST /api/v1/events/ingest with an API key; each line is stored with its own text and
// timestamp, and one bad line (over the event size limit) in a batch does not block it: the
// batch is answered 200 with that line named in `rejected`, so syslog-ng goes on (it retries a
// refused batch forever). Skipped, saying why, where syslog-ng or its HTTP module is absent
// (.ci/run installs them).
//
//   lines ─► app.log ─► syslog-ng -F (child; its own persist, pid and control files in a temp
//   dir) ─► file() source (RFC 5424 lines) ─► http() destination, batch-lines(4) ─► engine
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsText } from '../../src/core/telemetry/index.js';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

/** Why the test cannot run here, or undefined when it can. */
function missing(): string | undefined {
  const v = spawnSync('syslog-ng', ['--version'], { encoding: 'utf8' });
  if (v.error !== undefined || v.status !== 0) return 'no syslog-ng (apt-get install syslog-ng-core syslog-ng-mod-http)';
  const modules = spawnSync('syslog-ng', ['--module-registry'], { encoding: 'utf8' });
  if (!/\bhttp\b/.test(modules.stdout ?? '')) return 'no syslog-ng http() module (apt-get install syslog-ng-mod-http)';
  return undefined;
}
const SKIP = missing();

const MAX_EVENT_BYTES = 2048;
let h: Harness;
let dir: string;
let child: ChildProcess | undefined;
let stderr = '';

const line = (iso: string, app: string, msg: string): string => `<14>1 ${iso} web-1 ${app} 4242 - - ${msg}\n`;

function config(port: number, key: string, file: string): string {
  return `@version: 3.38
options { stats-freq(0); keep-hostname(yes); frac-digits(3); send-time-zone("+00:00"); keep-timestamp(yes); };
source s_app { file("${file}" flags(syslog-protocol) follow-freq(0.1)); };
destination d_driftwatch {
  http(
    url("http://127.0.0.1:${port}/api/v1/events/ingest")
    method("POST")
    headers("Authorization: Bearer ${key}", "Content-Type: application/x-ndjson")
    body("$(format-json timestamp=\${ISODATE} message=\${MESSAGE} host=\${HOST} app=\${PROGRAM} pid=\${PID})")
    delimiter("\\n")
    batch-lines(4)
    batch-timeout(200)
  );
};
log { source(s_app); destination(d_driftwatch); };
`;
}

/** driftwatch_ingest_rejected_events_total for one code, from this process's registry (the engine runs in it). */
async function rejectedEvents(code: string): Promise<number> {
  const m = new RegExp(`^driftwatch_ingest_rejected_events_total\\{error_code="${code}"\\} (\\d+)$`, 'm').exec(await metricsText());
  return m === null ? 0 : Number(m[1]);
}

/** Waits (no fixed sleep: polls the table) until `n` events of `stream` are stored. */
async function storedWhen(stream: string, n: number, timeoutMs = 60_000): Promise<Awaited<ReturnType<typeof storedEvents>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream });
    if (rows.length >= n) return rows;
    if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`syslog-ng exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`${rows.length} of ${n} events stored after ${timeoutMs} ms; syslog-ng said: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(SKIP !== undefined)(`syslog-ng's http() destination${SKIP === undefined ? '' : ` (skipped: ${SKIP})`}`, () => {
  beforeAll(async () => {
    h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: MAX_EVENT_BYTES });
    dir = mkdtempSync(join(tmpdir(), 'dw-syslog-ng-'));
  });
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await h?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('stores each line with its text and timestamp; a bad line is rejected alone and later lines still arrive', async () => {
    const file = join(dir, 'app.log');
    const conf = join(dir, 'syslog-ng.conf');
    writeFileSync(conf, config(Number(new URL(h.url).port), h.tenantA.key, file));
    const syntax = spawnSync('syslog-ng', ['--syntax-only', '-f', conf], { encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
    // Four lines make one batch; the third is over the event size limit.
    writeFileSync(file,
      line('2026-12-04T12:00:00.125Z', 'billing', 'invoice 1 sent') +
      line('2026-12-04T12:00:01.000Z', 'billing', 'invoice 2 sent: ünïcode ✓') +
      line('2026-12-04T12:00:02.000Z', 'billing', `huge ${'x'.repeat(MAX_EVENT_BYTES)}`) +
      line('2026-12-04T12:00:03.500Z', 'billing', 'invoice 3 "quoted" sent'));
    const rejectedBefore = await rejectedEvents('DW_ERR_PAYLOAD_TOO_LARGE');
    child = spawn('syslog-ng', ['-F', '-e', '--no-caps', '-f', conf, '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000); });

    let rows = await storedWhen('logs:billing', 3);
    // The batch was answered 200 with the big line named in `rejected` (and counted by code).
    expect(await rejectedEvents('DW_ERR_PAYLOAD_TOO_LARGE')).toBe(rejectedBefore + 1);
    // Then more lines, after the batch with the bad one was answered.
    appendFileSync(file, line('2026-12-04T12:00:04.000Z', 'billing', 'invoice 4 sent') + line('2026-12-04T12:00:05.000Z', 'billing', 'invoice 5 sent'));
    rows = await storedWhen('logs:billing', 5);
    expect(rows.map((r) => [r.ts.toISOString(), r.data])).toEqual([
      ['2026-12-04T12:00:00.125Z', 'invoice 1 sent'],
      ['2026-12-04T12:00:01.000Z', 'invoice 2 sent: ünïcode ✓'],
      ['2026-12-04T12:00:03.500Z', 'invoice 3 "quoted" sent'],
      ['2026-12-04T12:00:04.000Z', 'invoice 4 sent'],
      ['2026-12-04T12:00:05.000Z', 'invoice 5 sent'],
    ]);
    expect(rows.every((r) => r.stream_type === 'logs')).toBe(true);
    expect(rows[0].metadata).toMatchObject({ host: 'web-1', app: 'billing', pid: '4242' });
    expect(existsSync(join(dir, 'pid'))).toBe(true);
    // Nothing more was stored (the bad line was not retried into the table).
    expect((await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).length).toBe(5);
  });
});
