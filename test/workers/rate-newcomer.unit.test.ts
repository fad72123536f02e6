// A never-seen error arriving as its own burst in a stream that seldom logs an error (a backup
// host's kernel starts logging `I/O error, dev sdb, sector …` at kern.err, about one a second,
// between the host's ordinary lines): its template had no rate record, so its first burst taught
// it its rate (the first window sets the mean, and the burst's peak excused the later ones) and
// the burst's lines were not reported. A template first seen at an explicit error level (a syslog
// priority of error or worse, an ERROR token) in such a stream, with RATE_PARAMS.minWindows of
// history, now starts its record with the stream's windows and a mean of 0
// (workers/detectors/logs-rate.ts NEWCOMER_PARAMS): its first burst is tested. A new warning that
// arrives as a burst (real logs have many, routine) still learns its rate from its first burst, as
// does a new error in a stream whose errors are part of its usual output.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import score from '../../workers/score.js';
import { runStream, task } from './helpers.js';

const T0 = Date.UTC(2026, 6, 25, 22, 0, 0);
const BURSTS = [45 * 60_000, 80 * 60_000];
const BURST_LINES = 12;

function iso(t: number): string {
  return new Date(t).toISOString();
}

/**
 * A host's syslog (RFC 5424) for 2 hours, with two bursts of `burst` lines (800 ms apart) among
 * its ordinary ones; `errors`: the host's own application also logs an error now and then (one
 * line in 20).
 */
function stream(burst: (t: number) => string, errors = false): { ev: ScoreInput[]; at: number[][] } {
  const r = seeded(18);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 2 * 3_600_000; t += 1_000 + r.int(0, 4_000)) {
    const pid = r.int(1000, 99999);
    const lines = [
      `<86>1 ${iso(t)} backup-01 CRON ${pid} - - pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
      `<86>1 ${iso(t)} backup-01 sshd ${pid} - - Accepted publickey for borg from 10.0.${r.int(0, 9)}.${r.int(1, 254)} port ${r.int(30000, 60000)} ssh2`,
      `<30>1 ${iso(t)} backup-01 systemd 1 - - Started session-${r.int(100, 9999)}.scope - Session ${r.int(100, 9999)} of User borg.`,
      `<134>1 ${iso(t)} backup-01 borg-pull ${pid} - - pulled archive=web-0${r.int(1, 2)}-${r.int(1000, 9999)} files=${r.int(2, 90)}`,
    ];
    const err = `<131>1 ${iso(t)} backup-01 borg-pull ${pid} - - ERROR: chunk ${r.int(1, 99999)} of archive web-0${r.int(1, 2)} missing, will refetch`;
    ev.push({ ts: t, text: errors && r.int(0, 19) === 0 ? err : r.pick(lines) });
  }
  for (const b of BURSTS) for (let j = 0; j < BURST_LINES; j++) ev.push({ ts: T0 + b + 400 + j * 800, text: burst(T0 + b + 400 + j * 800) });
  ev.sort((a, b) => a.ts - b.ts);
  const mark = burst(0).slice(-20);
  const at = BURSTS.map((b) => ev.flatMap((e, i) => (e.ts >= T0 + b && e.ts < T0 + b + 400 + BURST_LINES * 800 && (e.text ?? '').endsWith(mark) ? [i] : [])));
  return { ev, at };
}

const IO_ERROR = (t: number): string => `<3>1 ${iso(t)} backup-01 kernel - - - I/O error, dev sdb, sector 1661638757 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2`;
const NFS_WARNING = (t: number): string => `<4>1 ${iso(t)} backup-01 kernel - - - nfs: server nas-01.lan not responding, still trying`;

/** The template_rate findings (at least 0.5) on each burst's lines. */
function reported(ev: ScoreInput[], at: number[][]): number[] {
  const { findings } = runStream('logs', ev, 100);
  return at.map((lines) => findings.filter((f) => f.detector === 'template_rate' && lines.includes(f.index) && f.score >= 0.5).length);
}

describe('a never-seen error arriving as its own burst', () => {
  it('in a stream that seldom logs an error: a burst of its template from its fifth line, in its first burst and its next', () => {
    const { ev, at } = stream(IO_ERROR);
    expect(at.map((a) => a.length)).toEqual([BURST_LINES, BURST_LINES]);
    for (const n of reported(ev, at)) expect(n).toBeGreaterThanOrEqual(BURST_LINES - 4);
  });

  it('while a new warning arriving as a burst learns its rate from its first burst, as before (a routine warning burst is not reported)', () => {
    const { ev, at } = stream(NFS_WARNING);
    expect(at.map((a) => a.length)).toEqual([BURST_LINES, BURST_LINES]);
    expect(reported(ev, at)).toEqual([0, 0]);
  });

  it('and so does a new error in a stream whose errors are part of its usual output', () => {
    const { ev, at } = stream(IO_ERROR, true);
    expect(at.map((a) => a.length)).toEqual([BURST_LINES, BURST_LINES]);
    expect(reported(ev, at)).toEqual([0, 0]);
  });
});

/**
 * The stream's first `cut` lines, then its state as a version before LogsState.al saved it (no
 * al), then the rest: the findings of the whole stream (indices stream-wide).
 */
function upgraded(ev: ScoreInput[], cut: number): Finding[] {
  const first = runStream('logs', ev.slice(0, cut), 100);
  const old = JSON.parse(new TextDecoder().decode(first.state ?? undefined)) as Record<string, unknown>;
  expect(old.al).toBeDefined();
  delete old.al;
  let state: Uint8Array | null = new TextEncoder().encode(JSON.stringify(old));
  const findings = [...first.findings];
  for (let off = cut; off < ev.length; off += 100) {
    const r = score(task('logs', ev.slice(off, Math.min(off + 100, ev.length)), state));
    if (!r.ok) throw new Error(r.message);
    for (const f of r.findings) findings.push({ ...f, index: f.index + off });
    state = r.state;
  }
  return findings;
}

const onBursts = (findings: Finding[], at: number[][]): number[] => at.map((lines) => findings.filter((f) => f.detector === 'template_rate' && lines.includes(f.index) && f.score >= 0.5).length);

describe('a stream upgraded from a state without its error share (LogsState.al)', () => {
  it('starts from its templates\' counts: a stream whose errors are usual does not take its first new error template for a rare one', () => {
    const { ev, at } = stream(IO_ERROR, true);
    const cut = at[0][0] - 5;
    expect(onBursts(upgraded(ev, cut), at)).toEqual([0, 0]);
  });

  it('and a stream that seldom logs one still reports the new error\'s bursts', () => {
    const { ev, at } = stream(IO_ERROR);
    const cut = at[0][0] - 5;
    for (const n of onBursts(upgraded(ev, cut), at)) expect(n).toBeGreaterThanOrEqual(BURST_LINES - 4);
  });
});
