// A never-seen alert arriving as its own burst in a stream with history (a host's kernel starts
// logging `nfs: server nas-01.lan not responding, timed out` at kern.warning every 0.8 s, between
// the host's ordinary lines): its template had no rate record, so its first burst taught it its
// rate (the first window sets the mean, and the burst's peak excused the later ones) and only its
// first line, news, was reported. A template first seen at warning level or worse in a stream
// with RATE_PARAMS.minWindows of history now starts its record with the stream's windows and a
// mean of 0 (workers/detectors/logs-rate.ts): its first burst is tested, and each burst after it
// too. A routine newcomer (info level: a job's first run) still learns its rate from its first
// burst, as before.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 25, 22, 0, 0);
const BURSTS = [45 * 60_000, 80 * 60_000];
const BURST_LINES = 12;

function iso(t: number): string {
  return new Date(t).toISOString();
}

/** A web host's syslog (RFC 5424) for 2 hours, with two bursts of `burst` lines (`every` ms apart, the first `from` ms into a window) among its ordinary ones. */
function stream(burst: (t: number) => string, from = 400, every = 800): { ev: ScoreInput[]; at: number[][] } {
  const r = seeded(17);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 2 * 3_600_000; t += 1_000 + r.int(0, 4_000)) {
    const pid = r.int(1000, 99999);
    const text = r.pick([
      `<86>1 ${iso(t)} web-01 CRON ${pid} - - pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
      `<86>1 ${iso(t)} web-01 sshd ${pid} - - Accepted publickey for deploy from 10.0.${r.int(0, 9)}.${r.int(1, 254)} port ${r.int(30000, 60000)} ssh2`,
      `<30>1 ${iso(t)} web-01 systemd 1 - - Started session-${r.int(100, 9999)}.scope - Session ${r.int(100, 9999)} of User deploy.`,
      `<134>1 ${iso(t)} web-01 invoiced ${pid} - - request method=GET path=/api/v1/invoices/${r.int(1, 9999)} status=200 dur_ms=${r.int(2, 90)}`,
    ]);
    ev.push({ ts: t, text });
  }
  for (const b of BURSTS) for (let j = 0; j < BURST_LINES; j++) ev.push({ ts: T0 + b + from + j * every, text: burst(T0 + b + from + j * every) });
  ev.sort((a, b) => a.ts - b.ts);
  const at = BURSTS.map((b) => ev.flatMap((e, i) => (e.ts >= T0 + b && e.ts < T0 + b + from + BURST_LINES * every && (e.text ?? '').includes(burst(0).slice(-20)) ? [i] : [])));
  return { ev, at };
}

const NFS = (t: number): string => `<4>1 ${iso(t)} web-01 kernel - - - nfs: server nas-01.lan not responding, timed out`;

/** The template_rate findings (at least 0.5) on each burst's lines. */
function reported(ev: ScoreInput[], at: number[][]): number[] {
  const { findings } = runStream('logs', ev, 100);
  return at.map((lines) => findings.filter((f) => f.detector === 'template_rate' && lines.includes(f.index) && f.score >= 0.5).length);
}

describe('a never-seen alert arriving as its own burst', () => {
  it('is a burst of its template from its fifth line, in its first burst and its next', () => {
    const { ev, at } = stream(NFS);
    expect(at.map((a) => a.length)).toEqual([BURST_LINES, BURST_LINES]);
    for (const n of reported(ev, at)) expect(n).toBeGreaterThanOrEqual(BURST_LINES - 4);
  });

  it('while a routine newcomer (info level) learns its rate from its first burst, as before', () => {
    const { ev, at } = stream((t) => `<30>1 ${iso(t)} web-01 systemd 1 - - Finished logrotate-web.service - Rotate the web logs.`);
    const { findings } = runStream('logs', ev, 100);
    const all = at.flat();
    expect(findings.filter((f) => f.detector === 'template_rate' && all.includes(f.index))).toEqual([]);
  });
});
