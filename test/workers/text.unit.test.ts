// Text detector internals: normalisation, severity, pattern skeletons, quarantine and
// admission, and the state's shape and size.
import { describe, expect, it } from 'vitest';
import { normalise } from '../../workers/detectors/normalise.js';
import { freshTextState, hasHighLevel, patternKey, scoreText, severityOf, skeleton, TEXT_PARAMS, upgradeTextState, type TextParams, type TextState } from '../../workers/detectors/text.js';
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

describe('patternKey()', () => {
  const key = (line: string): string => patternKey(normalise(line), 512);

  it('leaves out the words of tokens that hold a number (a thread, a user agent, a query): one message, one key', () => {
    const a = key('2026-07-26 08:01:20.600 ERROR 81 --- [   scheduling-1] c.e.shop.payment.PaymentClient : Payment gateway call failed for order 8918792: java.net.SocketTimeoutException: Read timed out');
    const b = key('2026-07-26 08:01:21.931 ERROR 81 --- [nio-8080-exec-7] c.e.shop.payment.PaymentClient : Payment gateway call failed for order 6343040: java.net.SocketTimeoutException: Read timed out');
    expect(a).toBe(b);
    expect(a).toBe('ERROR shop payment PaymentClient Payment gateway call failed for order java net SocketTimeoutException Read timed out');
    expect(skeleton(normalise('[ scheduling-1] x'), 512)).not.toBe(skeleton(normalise('[nio-8080-exec-7] x'), 512));
    expect(key('"GET /api/v1/search?q=tent&page=2 HTTP/2" 504 UT response_timeout "python-requests/2.32.3"')).toBe(key('"GET /api/v1/search?q=boots&page=3 HTTP/1.1" 504 UT response_timeout "okhttp/4.12.0"'));
  });

  it('keeps different messages apart, and a line of numbered tokens only keeps its skeleton', () => {
    expect(key('KERNEL FATAL data TLB error interrupt')).not.toBe(key('KERNEL FATAL data storage interrupt'));
    expect(key('"GET /a/v1 HTTP/2" 504 UT response_timeout')).not.toBe(key('"GET /a/v1 HTTP/2" 503 UF,URX upstream_reset_before_response_started'));
    expect(key('cn304/pkts_out.rrd v2/items')).toBe(skeleton(normalise('cn304/pkts_out.rrd v2/items'), 512));
    expect(key('cn304/pkts_out.rrd v2/items')).not.toBe('');
    expect(patternKey('abc '.repeat(300), 512).length).toBeLessThanOrEqual(512);
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
    expect(burst[5].explanation).toMatch(/^A pattern first flagged 5 events ago .* part of the same incident \(6 lines\)\. Still rare: at its decayed frequency /);
    expect(burst.every((f) => f.details.admitted === false)).toBe(true);
  });

  it('a non-severe pattern that keeps coming becomes common by its decayed frequency, and that explanation says so', () => {
    const lines = base();
    const at = [600, 700, 800, 900, 1000, 1100];
    for (const i of at) lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas (lag ${i % 13}s)`;
    // A logs stream's template layer knows the recurrences' parts (a known template, only numbers
    // new): after its first finding the line is not reported again (text-quarantine.ts, branch
    // db12; before, 600, 700 and 800 were). The text detector alone judges it by rarity:
    const { findings } = runStream('logs', textEvents(lines), 100);
    expect(findings.filter((f) => at.includes(f.index)).map((f) => f.index)).toEqual([600]);
    const on = direct(lines, TEXT_PARAMS).findings.filter((f) => at.includes(f.index));
    // Occurrences 100 events apart, half-life 2000: 1, 1.97, 2.90, 3.80; expected in the next
    // 900 events 3.80 × ln 2 × 900 / 2000 = 1.19 ≥ 1 at the fourth: common there (admitted under
    // the default threshold, mildAdmissionWeight), then normal.
    expect(on.map((f) => f.index)).toEqual([600, 700, 800]);
    expect(on[2].details.admitted).toBe(false);
    expect(on[2].explanation).toMatch(/Still rare: at its decayed frequency \(2\.90 occurrences, half-life 2000 events; .*\) it is expected 0\.90 times in the next 900 events \(common at 1\)/);
    const admit = direct(lines, TEXT_PARAMS, 0.01).findings.filter((f) => at.includes(f.index));
    expect(admit.map((f) => f.index)).toEqual([600, 700, 800, 900]);
    expect(admit[3].details.admitted).toBe(true);
    expect(admit[3].explanation).toMatch(/expected 1\.19 times in the next 900 events .*: it has become common, so it is now accepted into the baseline as normal/);
  });

  it('a non-severe pattern that keeps coming with a different user agent each time is one pattern: common by its decayed frequency, not six rare ones', () => {
    const lines = base();
    const at = [600, 700, 800, 900, 1000, 1100];
    const agents = ['python-requests/2.32.3', 'okhttp/4.12.0', 'shop-ios/7.3.1', 'curl/8.5.0', 'Go-http-client/1.1', 'python-requests/2.31.0'];
    at.forEach((i, k) => { lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas agent=${agents[k]} (lag ${i % 13}s)`; });
    const on = direct(lines, TEXT_PARAMS, 0.01).findings.filter((f) => at.includes(f.index));
    // As the same line without the agent: rare at its first three sightings, common at the fourth, then normal.
    expect(on.map((f) => f.index)).toEqual([600, 700, 800, 900]);
    expect(on.slice(1).map((f) => f.details.kind)).toEqual(['rare', 'rare', 'rare']);
    expect(on[3].details.admitted).toBe(true);
  });

  it('a non-severe pattern seen three times spread over a long stream is still rare at its third and fourth sightings (no count of sightings admits it)', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const at = [1000, 3500, 6000, 8500];
    for (const i of at) lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas (lag ${i % 13}s)`;
    const on = direct(lines, TEXT_PARAMS, 0.01).findings.filter((f) => at.includes(f.index));
    expect(on.map((f) => f.index)).toEqual(at);
    expect(on.slice(1).map((f) => f.details.kind)).toEqual(['rare', 'rare', 'rare']);
    expect(on.map((f) => f.details.admitted)).toEqual([false, false, false, false]);
    expect(on[3].explanation).toMatch(/after 2500 events without it\. Still rare/);
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
    // Three occurrences 100 events apart are not yet common (a decayed frequency, not a count).
    expect(sens[2].details).toMatchObject({ kind: 'rare', admitted: false });
  });

  it('the sighting that makes a mild pattern common scores under the default threshold (mildAdmissionWeight)', () => {
    // db generator: PostgreSQL autovacuum entries and Mongo connection lines were reported on the
    // sighting that admitted them as normal ("it has become common"), a contradiction for a
    // pattern without a severity word (a severe one is still reported with its admission).
    const lines = base();
    const at = [400, 500, 600, 700, 800];
    for (const i of at) lines[i] = `INFO scheduler rebalanced shard ${i} across zone-b replicas (lag ${i % 13}s)`;
    // Weight 1: every mild recurrence scores as its first sighting, so only the admission rule decides.
    const P = { ...TEXT_PARAMS, mildRecurrenceWeight: 1 };
    const dflt = direct(lines, P).findings.filter((f) => at.includes(f.index));
    // Occurrences 100 events apart: common at the fourth (700), normal after it.
    expect(dflt.map((f) => f.index)).toEqual([400, 500, 600]);
    // A sensitive profile sees the admission, at mildAdmissionWeight × the first score.
    const sens = direct(lines, P, 0.01).findings.filter((f) => at.includes(f.index));
    expect(sens.map((f) => f.index)).toEqual([400, 500, 600, 700]);
    expect(sens[3].details.admitted).toBe(true);
    expect(sens[3].score).toBeCloseTo(sens[0].score * TEXT_PARAMS.mildAdmissionWeight, 3);
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

  it('a severe pattern that recurs as separate incidents becomes common once its decayed frequency expects it within rareHorizonSevere events', () => {
    const lines = base();
    const at = [400, 500, 600, 700, 800, 900, 1000, 1100];
    for (const i of at) lines[i] = `ERROR payment gateway timeout after ${i}ms; circuit open`;
    const { findings } = runStream('logs', textEvents(lines), 100);
    const on = findings.filter((f) => at.includes(f.index));
    // Occurrences 100 events apart, half-life 2000: 1, 1.97, 2.90, 3.80, 4.67, 5.51, 6.32:
    // expected 1.10 times in the next 500 events (rareHorizonSevere) at 1000: common there, then
    // normal (with the 900 events of a mild pattern it was common at 700, branch db12).
    expect(TEXT_PARAMS.rareHorizonSevere).toBe(500);
    expect(on.map((f) => f.index)).toEqual([400, 500, 600, 700, 800, 900, 1000]);
    expect(on[1].details.kind).toBe('rare');
    expect(on[5].details.admitted).toBe(false);
    expect(on[6].details.admitted).toBe(true);
    expect(on[6].details.expected).toBeCloseTo(1.096, 2);
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
    expect(on[0].explanation).toMatch(/Still rare/);
  });

  it('a sustained flow of an error is common while it lasts, and rare again soon after it stops', () => {
    const lines = syntheticLog({ lines: 4000, anomalies: 0, seed: 12 }).lines;
    const err = (i: number): string => `ERROR payments gateway timeout talking to acquirer after 30000ms ref=${(i * 2654435761 % 4294967296).toString(16).padStart(8, '0')}`;
    for (let i = 1000; i < 1300; i++) lines[i] = err(i);
    lines[2600] = err(2600);
    const f = direct(lines, TEXT_PARAMS).findings;
    const flow = f.filter((x) => x.index >= 1000 && x.index < 1300);
    // Common once it has made up commonShare of the recent lines (about 100 lines in a row), not before.
    expect(flow.length).toBeGreaterThan(80);
    expect(flow.length).toBeLessThan(130);
    expect(flow.at(-1)?.details.admitted).toBe(true);
    // 1,300 events later its recent share has faded, and its long-run frequency (the flow, one
    // incident no longer than steadySpan, weighed one occurrence: 0.64 after the decay, 1.64
    // with this line) expects it about 0.5 times in 900 events: reported.
    const later = f.filter((x) => x.index === 2600);
    expect(later.length).toBe(1);
    expect(later[0].details).toMatchObject({ kind: 'rare', admitted: false });
    expect(later[0].details.expected).toBeLessThan(0.6);
    expect(later[0].details.recent_share).toBeLessThan(TEXT_PARAMS.commonShare / 2);
  });

  it('a steady trickle of an error (one incident, lines 10 events apart) becomes common and stays common', () => {
    const lines = syntheticLog({ lines: 3000, anomalies: 0, seed: 12 }).lines;
    for (let i = 1000; i < 2500; i += 10) lines[i] = `ERROR cache shard ${i % 5} eviction failed for key k${i}; retrying`;
    const f = direct(lines, TEXT_PARAMS).findings.filter((x) => x.index >= 1000 && x.index < 2500 && (x.index - 1000) % 10 === 0);
    // One incident: its lines count nothing while it is no longer than a burst; at steadySpan
    // (350 events, 35 lines) it counts for its duration, 350 / incidentGap = 11 occurrences:
    // common there, and it stays common while it keeps coming.
    expect(f.length).toBeGreaterThan(TEXT_PARAMS.steadySpan / 10);
    expect(f.length).toBeLessThan(60);
    expect(f.at(-1)?.details.admitted).toBe(true);
    expect(f.at(-1)?.explanation).toMatch(/decayed frequency .*: it has become common/);
  });
});

describe('quarantine state across versions', () => {
  it('a quarantine entry written before the recent frequency (13 fields) is upgraded: its incidents become its long-run frequency, its last incident\'s lines its recent one', () => {
    const s: TextState = freshTextState();
    const old = ['ERROR gateway timeout', 9, 100, 0.8, 400, 90, 'error', 900, 2.5, 880, 4, 0, ''];
    const older = ['FATAL disk', 1, 50, 0.9, 500, 90, 'fatal'];
    (s as unknown as { q: unknown[] }).q = [old, older, ['bad', 1]];
    const u = upgradeTextState(s);
    expect(u.q).toEqual([
      [...old, 4, 2.5, 1, 0, 0, 0, 0, 0],
      [...older, 50, 1, 50, 1, 0, '', 1, 1, 1, 0, 0, 0, 0, 0],
    ]);
    // An entry written before incidents were counted apart (14 fields): its count of incidents is its long-run frequency.
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 0, 0, 0, 0, 0]]);
    // One written before incidents were counted without decay (15 fields): one incident begun, its first.
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4, 2.5] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 0, 0, 0, 0, 0]]);
    // One written before the incident's start time was kept (16 fields): 0, unknown (no burst judged by time).
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4, 2.5, 1] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 0, 0, 0, 0, 0]]);
    // One written before storms were remembered (17 fields): 0, no storm yet; no schedule.
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4, 2.5, 1, 7] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 7, 0, 0, 0, 0]]);
    // One written before the schedule was kept (18 fields): no spacing, no start at it.
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4, 2.5, 1, 7, 3] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 7, 3, 0, 0, 0]]);
    // One written before the last sighting's time was kept (20 fields): 0, unknown (no storm goes on by time).
    expect(upgradeTextState({ ...freshTextState(), q: [[...old, 4, 2.5, 1, 7, 3, 60_000, 2] as unknown as TextState['q'][number]] }).q).toEqual([[...old, 4, 2.5, 1, 7, 3, 60_000, 2, 0]]);
    // And it goes on from there: the next sighting decays both and adds to them.
    const lines = syntheticLog({ lines: 1200, anomalies: 0, seed: 12 }).lines;
    const first = scoreText(null, textEvents(lines.slice(0, 1000)));
    const st = JSON.parse(new TextDecoder().decode(first.state)) as TextState;
    st.q = [[skeleton(normalise('ERROR gateway timeout talking to acquirer 17'), 512), 9, 100, 0.8, 400, 90, 'error', 990, 2.5, 980, 4, 0, ''] as unknown as TextState['q'][number]];
    const next = scoreText(new TextEncoder().encode(JSON.stringify(st)), textEvents(['ERROR gateway timeout talking to acquirer 17']));
    expect(next.findings[0]?.details).toMatchObject({ kind: 'incident', admitted: false });
    const q = (JSON.parse(new TextDecoder().decode(next.state)) as TextState).q[0];
    expect(q.length).toBe(21);
    // Inside an incident none begins: the count of incidents begun stays.
    expect(q[15]).toBe(1);
    expect(q[13]).toBeCloseTo(4 * 2 ** (-11 / TEXT_PARAMS.recentHalfLife) + 1, 3);
    // Inside an incident no incident begins: its count of incidents only decays.
    expect(q[14]).toBeCloseTo(2.5 * 2 ** (-11 / TEXT_PARAMS.rareHalfLife), 3);
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
