// A severe line that the compression score judges normal but another novelty score of the line
// reports (a metadata value never seen, a new template) is a flagged line all the same
// (TextScorer.flagged): its pattern is quarantined, so its burst is reported line by line and its
// lone returns while it stays rare, instead of every repeat being a known line. And a syslog
// priority of warning (`<4>`, `<28>`) is a warning level: a warning that names a failure ("not
// responding", "timed out") is severe for the recurrence rules, though not high for the novelty
// prior (a mail server's routine `<20>` authentication failures). Fails on main 89e25dd: only the
// first kernel line is reported (its new appname), its burst and returns none.
import { describe, expect, it } from 'vitest';
import { freshTextState, LineSeverity, TEXT_PARAMS, TextScorer, warnedFailure } from '../../workers/detectors/text.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const NFS = 'nfs: server nas-01.lan not responding, timed out';

describe('a syslog priority of warning', () => {
  it.each([
    [`<4>1 2026-07-25T22:44:41.339298+00:00 web-01 kernel - - - ${NFS}`, 'not responding'],
    [`<4>Jul 25 22:44:41 web-01 kernel: [ 7240.955685] ${NFS}`, 'not responding'],
    ['<28>1 2026-07-25T22:44:41.339298+00:00 web-01 rsyncd 77 - - connection to backup-01 timed out', 'timed out'],
    ['<20>1 2026-07-25T22:44:41.339298+00:00 mail-01 postfix/smtpd 612 - - warning: unknown[10.1.2.3]: SASL LOGIN authentication failed: UGFzc3dvcmQ6', 'failed'],
    // Not a warning by priority (info, notice), or no failure named.
    [`<6>1 2026-07-25T22:44:41.339298+00:00 web-01 kernel - - - ${NFS}`, ''],
    ['<29>1 2026-07-25T22:44:41.339298+00:00 web-01 systemd 1 - - unit start timed out', ''],
    ['<4>1 2026-07-25T22:44:41.339298+00:00 web-01 kernel - - - EXT4-fs (sda1): mounted filesystem with ordered data mode', ''],
  ])('%s → %j', (line, want) => {
    expect(warnedFailure(line)).toBe(want);
  });

  it('is severe for recurrences but no high level for the novelty prior; a WARN token is both', () => {
    const w = new LineSeverity();
    w.of('<20>1 2026-07-25T22:44:41.339298+00:00 mail-01 postfix/smtpd 612 - - warning: unknown[10.1.2.3]: SASL LOGIN authentication failed: UGFzc3dvcmQ6');
    expect([w.warned, w.high, w.routine]).toEqual(['failed', false, false]);
    w.of('<20>1 2026-07-25T22:44:41.339298+00:00 web-01 app 7 - - level=WARN msg="psp call failed, retrying"');
    expect([w.warned, w.high]).toEqual(['failed', true]);
  });
});

const T0 = Date.UTC(2026, 6, 25, 22);
const SYLLABLES = ['ka', 'lo', 'mi', 'tru', 'ven', 'sol', 'dar', 'pex', 'qui', 'zor', 'bel', 'fin', 'gup', 'hra', 'jis', 'nok', 'wem', 'yat'];
const WORDS = ['systemctl', 'status', 'nginx', 'journalctl', 'since', 'tail', 'follow', 'syslog', 'apt', 'list', 'upgradable', 'restart', 'invoiced', 'reload', 'cat', 'etc', 'hosts', 'grep', 'error', 'var', 'log', 'rsync', 'archive', 'verbose', 'backup', 'ss', 'tlnp', 'df', 'human', 'free', 'mega', 'ps', 'aux', 'sort', 'memory', 'vmstat', 'iostat', 'extended', 'lsof', 'port'];
const hdr = (t: number, pri: number, app: string, pid: string): string => `<${pri}>1 ${new Date(t).toISOString().slice(0, 23)}${String(t % 1000).padStart(3, '0')}+00:00 web-01 ${app} ${pid} - - `;

/** Two hours of a web host's API lines (fresh ids, users, latencies) with a kernel warning first seen at 80 min, bursting 60 times in a minute, back alone 4 times later. */

function host(): { ev: ScoreInput[]; burst: number[]; returns: number[] } {
  const r = seeded(19);
  const ev: ScoreInput[] = [];
  const burst: number[] = [];
  const returns: number[] = [];
  const kernel = (t: number): ScoreInput => ({ ts: t, text: hdr(t, 4, 'kernel', '-') + NFS, metadata: { appname: 'kernel', facility: 'kern', severity: 'warning' } });
  const ROUTES = ['/api/v1/me', '/api/v1/invoices/<id>', '/api/v1/customers/<id>/invoices'];
  let t = T0;
  let k = 0;
  const lone = [T0 + 95 * 60_000, T0 + 102 * 60_000, T0 + 108 * 60_000, T0 + 115 * 60_000];
  while (t < T0 + 2 * 3_600_000) {
    t += 500 + r.int(0, 2500);
    if (t >= T0 + 80 * 60_000 && k < 60) {
      burst.push(ev.length);
      ev.push(kernel(t));
      k++;
      continue;
    }
    if (lone.length > 0 && t >= lone[0]) {
      lone.shift();
      returns.push(ev.length);
      ev.push(kernel(t));
      continue;
    }
    if (r.chance(0.25)) {
      // Admins' commands and cron jobs: file names never seen before, so the stream's line costs have a wide tail.
      const word = (): string => Array.from({ length: r.int(2, 4) }, () => r.pick(SYLLABLES)).join('');
      const cmd = [r.pick(WORDS), ...Array.from({ length: r.int(6, 14) }, word)].join(r.pick([' ', ' --', '/', ' -']));
      ev.push({ ts: t, text: `${hdr(t, r.pick([85, 78]), r.pick(['sudo', 'CRON']), String(r.int(2000, 90_000)))}${r.pick(['alice', 'bob', 'carol'])} : TTY=pts/${r.int(0, 4)} ; PWD=/home ; USER=root ; COMMAND=/usr/bin/${cmd}`, metadata: { appname: 'sudo', facility: 'authpriv', severity: 'notice' } });
      continue;
    }
    const path = r.pick(ROUTES).replace('<id>', String(r.int(1000, 99_999)));
    ev.push({ ts: t, text: `${hdr(t, 134, 'invoiced', '611')}time=${new Date(t).toISOString()} level=INFO msg=request method=GET path=${path} status=200 dur_ms=${(5 + r.next() * 40).toFixed(2)} bytes=${r.int(300, 9000)} user=usr_${r.hex(6)} req_id=01J${r.hex(12).toUpperCase()}`, metadata: { appname: 'invoiced', facility: 'local0', severity: 'info' } });
  }
  return { ev, burst, returns };
}

describe('a severe line flagged by another novelty score', () => {
  it('has its burst reported line by line and its lone returns reported while rare', () => {
    const { ev, burst, returns } = host();
    const { findings } = runStream('logs', ev, 100);
    const flagged = new Set(findings.map((f) => f.index));
    expect(findings.some((f) => f.index === burst[0] && f.detector === 'metadata_field')).toBe(true);
    expect(burst.filter((i) => flagged.has(i)).length).toBeGreaterThanOrEqual(0.9 * burst.length);
    expect(returns.filter((i) => flagged.has(i)).length).toBeGreaterThanOrEqual(3);
    // The same findings whatever the tasks' size.
    expect(runStream('logs', ev, 37).findings).toEqual(findings);
  });
});

describe('TextScorer.flagged()', () => {
  const ERR = 'kernel: I/O error, dev sdb, sector 1346719809 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2';
  const fed = (score: number): { took: boolean; again: ReturnType<TextScorer['feed']>; known: boolean } => {
    const t = new TextScorer(freshTextState(), TEXT_PARAMS);
    for (let i = 0; i < 40; i++) t.feed(`systemd[1]: Started session-${i}.scope - Session ${i} of User alice.`, 0.5, undefined, undefined, T0 + i * 1000);
    // In the warm-up: judged normal, it joins the baseline.
    expect(t.feed(ERR, 0.5, undefined, undefined, T0 + 50_000)).toBeNull();
    const took = t.flagged(score);
    const again = t.feed(ERR, 0.5, undefined, undefined, T0 + 51_000);
    return { took, again, known: t.saveState().base.includes(t.normLine(ERR)) };
  };

  it('quarantines a severe line another score reports at flaggedScore or more: its return is a recurrence', () => {
    const { took, again, known } = fed(TEXT_PARAMS.flaggedScore);
    expect(took).toBe(true);
    expect(known).toBe(false);
    expect(again?.details.recurrences).toBe(2);
  });

  it('leaves it a known line when the other score is weaker', () => {
    const { took, again, known } = fed(0.52);
    expect(took).toBe(false);
    expect(again).toBeNull();
    expect(known).toBe(true);
  });
});
