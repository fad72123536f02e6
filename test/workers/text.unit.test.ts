// Text detector internals: normalisation, severity, pattern skeletons, quarantine and
// admission, and the state's shape and size.
import { describe, expect, it } from 'vitest';
import { normalise } from '../../workers/detectors/normalise.js';
import { hasHighLevel, scoreText, severityOf, skeleton, TEXT_PARAMS, type TextParams } from '../../workers/detectors/text.js';
import { prng, syntheticLog } from '../../src/tools/demo/synthetic.js';
import { runStream, textEvents } from './helpers.js';

describe('normalise()', () => {
  it('turns ids, IPs, hex and numbers into class tokens that keep magnitude', () => {
    expect(normalise('req 3f2a9c1e-0b4d-4e6f-8a1b-2c3d4e5f6a7b from 10.0.3.17:443 took 412ms addr=0x7ffe12')).toBe(
      'req <UUID> from <IP> took <N3>ms addr=<X6>',
    );
    expect(normalise('id deadbeefcafe1234 count 7')).toBe('id <H16> count <N1>');
    expect(normalise('a   b\t c')).toBe('a b c');
  });
});

describe('severityOf()', () => {
  it.each([
    ['RAS KERNEL FATAL data TLB error interrupt', 'fatal'],
    ['MMCS ERROR idoproxydb hit ASSERT', 'error'],
    ['RAS KERNEL INFO instruction cache parity error corrected', ''],
    ['gmetad: Warning: we failed to resolve data source name', ''],
    ['WARN disk is 99% full; compaction aborted', ''],
    ['sshd[1761]: error: Bind to port 22 failed', 'error'],
    ['java.lang.IllegalStateException: Queue full', 'illegalstateexception'],
    ['kernel: Out of memory: Killed process 4121', 'killed'],
    ['INFO http GET /api/orders status=200', ''],
    ['session opened for user root', ''],
  ])('%s → %j', (line, want) => {
    expect(severityOf(line)).toBe(want);
  });
});

describe('skeleton()', () => {
  it('maps variants of one message to one key and different messages to different keys', () => {
    const a = skeleton(normalise('RRD_update (/var/lib/ganglia/rrds/C Nodes/cn304/pkts_out.rrd): illegal attempt'), 512);
    const b = skeleton(normalise('RRD_update (/var/lib/ganglia/rrds/D Nodes/dn731/pkts_out.rrd): illegal attempt'), 512);
    expect(a).toBe(b);
    expect(skeleton(normalise('ide0: Wait for ready failed'), 512)).toBe(skeleton(normalise('ide5: Wait for ready failed'), 512));
    expect(skeleton('KERNEL FATAL data TLB error interrupt', 512)).not.toBe(skeleton('KERNEL FATAL data storage interrupt', 512));
    expect(skeleton('x'.repeat(600), 512).length).toBeLessThanOrEqual(512);
  });
});

describe('quarantine and admission', () => {
  const base = (): string[] => syntheticLog({ lines: 2000, anomalies: 0, seed: 12 }).lines;

  it('a burst of a severe new pattern stays flagged (recurrences, no recompression)', () => {
    const lines = base();
    for (let i = 1000; i < 1040; i++) lines[i] = `FATAL node ${i % 7} data TLB error interrupt at 0x${(i * 7919).toString(16)}`;
    const { findings } = runStream('logs', textEvents(lines), 100);
    const burst = findings.filter((f) => f.index >= 1000 && f.index < 1040);
    expect(burst.length).toBe(40);
    expect(burst[0].details.kind).toBe('novel');
    expect(burst[0].explanation).toMatch(/^Line cost \d+ bits given the last \d+ distinct lines .* severity word "fatal"\.$/);
    expect(burst[5].details.kind).toBe('incident');
    expect(burst[5].explanation).toMatch(/^Recurrence 6 of a pattern first flagged 5 events ago/);
    expect(burst.every((f) => f.details.admitted === false)).toBe(true);
  });

  it('a non-severe new pattern is accepted at its third sighting, and that explanation says so', () => {
    const lines = base();
    for (const i of [600, 700, 800, 900, 1000]) lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas (lag ${i % 13}s)`;
    const { findings } = runStream('logs', textEvents(lines), 100);
    const on = findings.filter((f) => [600, 700, 800, 900, 1000].includes(f.index));
    expect(on.map((f) => f.index)).toEqual([600, 700, 800]);
    expect(on[2].details.admitted).toBe(true);
    expect(on[2].explanation).toMatch(/now accepted into the baseline as normal/);
  });

  // scoreText directly (custom params, a threshold), batches of 100 with stream-wide indices.
  const direct = (lines: string[], P: Readonly<TextParams>, threshold = 0.5) => {
    let state: Uint8Array | null = null;
    const out: { index: number; score: number; explanation: string; details: Record<string, unknown> }[] = [];
    const rows = new Float32Array(lines.length);
    for (let off = 0; off < lines.length; off += 100) {
      const part = new Float32Array(Math.min(100, lines.length - off));
      const r = scoreText(state, textEvents(lines.slice(off, off + 100)), P, part, threshold);
      state = r.state;
      rows.set(part, off);
      for (const f of r.findings) if (f.detector === 'compression_surprise') out.push({ ...f, index: f.index + off });
    }
    return { findings: out, rows };
  };

  it('a recurrence without a severity word is folded into the first finding (mildRecurrenceWeight)', () => {
    const lines = base();
    const at = [600, 700, 800];
    for (const i of at) lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas (lag ${i % 13}s)`;
    const P = { ...TEXT_PARAMS, mildRecurrenceWeight: 0.1 };
    const strict = direct(lines, P).findings.filter((f) => at.includes(f.index));
    expect(strict.map((f) => f.index)).toEqual([600]);
    // A sensitive threshold still sees the recurrences, at the weighted score.
    const sens = direct(lines, P, 0.01).findings.filter((f) => at.includes(f.index));
    expect(sens.map((f) => f.index)).toEqual(at);
    expect(sens[1].score).toBeCloseTo(sens[0].score * 0.1, 3);
    expect(sens[1].explanation).toMatch(/folded into the first finding/);
    expect(sens[2].details.admitted).toBe(true);
    expect(sens[2].explanation).toMatch(/now accepted into the baseline as normal/);
  });

  it('a failure word without a level token gets the smaller prior (severityBoostWord)', () => {
    expect(hasHighLevel('RAS KERNEL FATAL data TLB error interrupt')).toBe(true);
    expect(hasHighLevel('sshd[1761]: error: Bind to port 22 failed')).toBe(false);
    const lines = base();
    lines[1000] = 'sshd[1761]: error: Bind to port 22 on 0.0.0.0 failed: Address already in use.';
    lines[1200] = 'RAS KERNEL FATAL rts tree link training failed: wanted 7 got 3';
    const dflt = direct(lines, TEXT_PARAMS).rows;
    const full = direct(lines, { ...TEXT_PARAMS, severityBoostWord: TEXT_PARAMS.severityBoost }).rows;
    expect(dflt[1000]).toBeGreaterThan(0);
    expect(dflt[1000]).toBeLessThan(full[1000]);
    expect(dflt[1200]).toBe(full[1200]);
  });

  it('a severe pattern that recurs as separate incidents becomes common after admitIncidentsSevere decayed incidents', () => {
    const lines = base();
    const at = [400, 500, 600, 700, 800, 900, 1000];
    for (const i of at) lines[i] = `ERROR payment gateway timeout after ${i}ms; circuit open`;
    const { findings } = runStream('logs', textEvents(lines), 100);
    const on = findings.filter((f) => at.includes(f.index));
    // Incidents 100 events apart, half-life 2000: 1, 1.97, 2.91, 3.81 ≥ 3 at 700: common there, then normal.
    expect(on.map((f) => f.index)).toEqual([400, 500, 600, 700]);
    expect(on[1].details.kind).toBe('rare');
    expect(on[3].details.admitted).toBe(true);
    expect(TEXT_PARAMS.admitIncidentsSevere).toBe(3);
  });

  it('a rare error stays rare after one long burst: its later sporadic lines are reported', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const err = (i: number): string => `ERROR payments gateway timeout talking to acquirer after 30000ms ref=${(i * 2654435761 % 4294967296).toString(16).padStart(8, '0')}`;
    for (let i = 1000; i < 1240; i += 2) lines[i] = err(i);
    const later = [3500, 5200, 7100, 8800];
    for (const i of later) lines[i] = err(i);
    const { findings } = runStream('logs', textEvents(lines), 100);
    const burst = findings.filter((f) => f.index >= 1000 && f.index < 1240 && f.detector === 'compression_surprise');
    expect(burst.length).toBeGreaterThanOrEqual(100);
    const on = findings.filter((f) => later.includes(f.index));
    expect(on.map((f) => f.index)).toEqual(later);
    expect(on[0].explanation).toMatch(/still rare/);
  });
});

describe('text state', () => {
  it('is JSON with a bounded baseline and quarantine (adversarial input)', () => {
    const r = prng(5);
    const lines = Array.from({ length: 4000 }, (_, i) =>
      i < 300 ? `INFO ok request ${i}` : Array.from({ length: 700 }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join(''),
    );
    const { maxState, state } = runStream('logs', textEvents(lines), 200);
    // Logs streams keep the text state under `t`, beside the templates (one here: long blobs are slots).
    const s = (JSON.parse(new TextDecoder().decode(state)) as { t: { base: string[]; q: unknown[]; ring: number[] } }).t;
    expect(s.base.join('\n').length).toBeLessThanOrEqual(TEXT_PARAMS.baselineBytes + 2048);
    expect(s.q.length).toBeLessThanOrEqual(TEXT_PARAMS.quarantineSize);
    expect(s.ring.length).toBeLessThanOrEqual(TEXT_PARAMS.nullSize);
    console.log(`text state, adversarial input: max ${maxState} bytes`);
    expect(maxState).toBeLessThan(48 * 1024);
  });

  it('scoreText with explicit params equals the defaults', () => {
    const ev = textEvents(syntheticLog({ lines: 800, anomalies: 5, seed: 3 }).lines);
    expect(scoreText(null, ev, TEXT_PARAMS)).toEqual(scoreText(null, ev));
  });
});
