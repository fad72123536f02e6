// The logs detector (workers/detectors/logs.ts): templates, slot values, metadata fields, rate,
// batch-split invariance and the upgrade of a v1 text checkpoint.
import { describe, expect, it } from 'vitest';
import { scan, TemplateMiner, templateText, MINER_PARAMS } from '../../workers/detectors/templates.js';
import { scoreText } from '../../workers/detectors/text.js';
import { REPEAT_PARAMS, scoreLogs } from '../../workers/detectors/logs.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;

function apiStream(n: number, seed = 1): ScoreInput[] {
  const r = seeded(seed);
  const routes = ['/api/orders', '/api/cart', '/api/search'];
  const scale = [30, 200, 80];
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.int(0, 2);
    const ms = Math.round(scale[k] * Math.exp(0.3 * (r.next() + r.next() + r.next() - 1.5)));
    out.push({ ts: T0 + i * 100, text: `INFO api ${r.pick(['GET', 'POST'])} ${routes[k]} status=${r.pick(['200', '200', '201'])} latency_ms=${ms} user=${r.pick(['ana', 'ben', 'chen'])}${r.int(0, 999)} req=${r.hex(16)}`, metadata: { region: r.pick(['eu-west-1', 'us-east-1']), tier: r.pick(['free', 'pro']) } });
  }
  return out;
}

describe('template miner', () => {
  it('mines one template per message shape, with slots for the variable words and fields', () => {
    const m = new TemplateMiner();
    const a = m.match(scan('INFO api GET /api/orders status=200 latency_ms=12 user=ana1', 64), 1);
    const b = m.match(scan('INFO api GET /api/orders status=201 latency_ms=40 user=ben7', 64), 2);
    expect(b.template.id).toBe(a.template.id);
    expect(templateText(b.template)).toBe('INFO api GET /api/orders status=<*> latency_ms=<*> user=<*>');
    const c = m.match(scan('ERROR db deadlock detected on table orders', 64), 3);
    expect(c.created).toBe(true);
    // A known line of a known template: the memo answers without changing anything.
    const d = m.match(scan('INFO api GET /api/orders status=500 latency_ms=9 user=zoe3', 64), 4);
    expect(d.changed).toBe(false);
    expect(d.template.id).toBe(a.template.id);
  });

  it('is bounded in templates and bytes, and its state round-trips', () => {
    const m = new TemplateMiner(undefined, { ...MINER_PARAMS, maxTemplates: 50 });
    for (let i = 0; i < 500; i++) m.match(scan(`word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} alpha beta`, 64), i);
    expect(m.size).toBeLessThanOrEqual(50);
    const again = new TemplateMiner(m.save());
    expect(again.save()).toEqual(m.save());
    const big = new TemplateMiner();
    for (let i = 0; i < 3000; i++) big.match(scan(Array.from({ length: 12 }, (_, k) => `w${String.fromCharCode(97 + ((i + k) % 26))}${String.fromCharCode(97 + ((i * 7 + k) % 26))}x`).join(' ').replace(/\d/g, ''), 64), i);
    expect(big.bytes).toBeLessThanOrEqual(MINER_PARAMS.maxBytes);
  });
});

describe('logs detector', () => {
  it('reports an unseen value of a low-cardinality slot and a 30× latency on a route, not fresh ids', () => {
    // Each (method, route) is its own template here, ~1,200 sightings each by line 7500.
    const ev = apiStream(8000);
    ev[7500] = { ...ev[7500], text: (ev[7500].text as string).replace(/status=\d+/, 'status=503') };
    const slow = ev[7700].text as string;
    const ms = Number(/latency_ms=(\d+)/.exec(slow)?.[1]);
    ev[7700] = { ...ev[7700], text: slow.replace(/latency_ms=\d+/, `latency_ms=${ms * 30}`) };
    const { findings } = runStream('logs', ev, 100);
    const at = (i: number) => findings.filter((f) => f.index === i);
    expect(at(7500).map((f) => f.details.kind)).toContain('unseen_value');
    // Judged per template (~1,250 sightings) and per key over the stream's templates (7,500): the larger is reported.
    expect(at(7500)[0].explanation).toMatch(/Key "status" over the stream's templates \(here in "INFO api .* status=<\*> .*"\): value "503" never seen in 7500 sightings/);
    expect(at(7700).map((f) => f.details.kind)).toContain('numeric_outlier');
    // Fresh users and request ids on every line are not findings.
    expect(findings.filter((f) => f.index !== 7500 && f.index !== 7700 && f.detector === 'template_slot')).toHaveLength(0);
  });

  it('reports a metadata value never seen in a low-cardinality field', () => {
    const ev = apiStream(2000, 2);
    ev[1800] = { ...ev[1800], metadata: { region: 'ap-south-1', tier: 'pro' } };
    const { findings } = runStream('logs', ev, 250);
    const f = findings.filter((x) => x.detector === 'metadata_field');
    expect(f.map((x) => x.index)).toEqual([1800]);
    expect(f[0].explanation).toMatch(/Metadata field "region": value "ap-south-1" never seen/);
  });

  it('reports a burst of an ordinary but infrequent line (event-time windows), and only the burst', () => {
    const ev = apiStream(6000, 3);
    for (let i = 0; i < ev.length; i += 97) ev[i] = { ts: ev[i].ts, text: `WARN worker retrying job ${i.toString(16)} after timeout` };
    // 30 retries within 3 s around line 5000 (they replace ordinary lines, timestamps kept).
    for (let i = 5000; i < 5030; i++) ev[i] = { ts: ev[i].ts, text: `WARN worker retrying job b${i.toString(16)} after timeout` };
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate');
    expect(rate.length).toBeGreaterThan(10);
    // Lines 5000-5099 share the burst's 10 s window (100 ms apart): the usual retry at 5044 is in it too.
    expect(rate.every((f) => f.index >= 5000 && f.index < 5100)).toBe(true);
    expect(rate[0].explanation).toMatch(/lines (in this 10 s window|within \d+ ms) of event time/);
    // The window's count, once the scan is no longer the strongest: judged against the usual mean, the stream's share and the template's earlier bursts, the weakest of the three quoted.
    expect(rate.some((f) => /lines in (?:this 10 s window|the last 10 s) of event time(?: vs\. a usual|; the stream sent (?:about )?[\d.]+ lines in it|, more than in its earlier bursts)/.test(f.explanation))).toBe(true);
  });

  it('sees a storm of an infrequent line from its first lines (the scan), not once the 10 s window has filled', () => {
    // Ordinary lines every 100 ms; a retry line about every 10 s (ms timestamps); then 8 retries 10 ms apart.
    const ev = apiStream(8000, 6).map((e, i) => ({ ...e, ts: e.ts + (i % 7) }));
    for (let i = 50; i < ev.length; i += 97) ev[i] = { ts: ev[i].ts, text: `WARN worker retrying job ${i.toString(16)} after timeout` };
    const at = 7000;
    const storm: ScoreInput[] = Array.from({ length: 8 }, (_, j) => ({ ts: ev[at].ts + 1 + j * 10, text: `WARN worker retrying job s${j} after timeout` }));
    const all = [...ev.slice(0, at + 1), ...storm, ...ev.slice(at + 1)];
    const { findings } = runStream('logs', all, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate');
    // The 4th storm line at the latest (3 lines within 21 ms where 0.1 per second is usual).
    expect(rate.length).toBeGreaterThan(0);
    expect(rate[0].index).toBeLessThanOrEqual(at + 4);
    expect(rate[0].index).toBeGreaterThan(at);
    expect(rate[0].explanation).toMatch(/lines within \d+ ms of event time, where it usually shows/);
    expect(rate.every((f) => f.index > at && f.index < at + 200)).toBe(true);
  });

  it('reports a steady template that goes silent while the stream goes on, once, and a stream that stops on an idle tick', () => {
    // Two steady templates every 100 ms / 400 ms; the second stops for 120 s of event time.
    const r = seeded(7);
    const ev: ScoreInput[] = [];
    const stopFrom = T0 + 900_000;
    const stopTo = stopFrom + 120_000;
    for (let t = T0; t < T0 + 1_200_000; t += 100) {
      ev.push({ ts: t, text: `INFO api GET /api/orders status=200 latency_ms=${r.int(10, 99)} req=${r.hex(12)}` });
      if ((t - T0) % 400 === 0 && (t < stopFrom || t >= stopTo)) ev.push({ ts: t + 7, text: `INFO auth token refreshed user=u${r.int(0, 999)} ttl=3600` });
    }
    const { findings } = runStream('logs', ev, 100);
    const silent = findings.filter((f) => f.detector === 'silence');
    expect(silent).toHaveLength(1);
    const t = ev[silent[0].index].ts;
    // Seen within the first windows of the silence (3 lines expected per second, 10 s is the shortest silence judged).
    expect(t).toBeGreaterThanOrEqual(stopFrom + 10_000);
    expect(t).toBeLessThan(stopFrom + 30_000);
    expect(silent[0].explanation).toMatch(/Template "INFO auth token refreshed user=<\*> ttl=<\*>" has been silent for .* of event time while the stream went on/);
    expect(silent[0].details.kind).toBe('template_silence');
    // The whole stream stops: idle ticks (no text) with the stream's time report it once, the first tick after 10 s.
    const last = ev[ev.length - 1].ts;
    const ticks: ScoreInput[] = [5_000, 15_000, 25_000, 35_000].map((d) => ({ ts: last + d, idle: true }));
    const withTicks = runStream('logs', [...ev, ...ticks], 100);
    const stream = withTicks.findings.filter((f) => f.detector === 'silence' && f.details.kind === 'stream_silence');
    expect(stream.map((f) => f.index)).toEqual([ev.length + 1]);
    // Dated at the first window boundary (10 s of event time) where the silence is significant, not at the tick.
    const at = stream[0].ts as number;
    expect(at % 10_000).toBe(0);
    expect(at - last).toBeGreaterThanOrEqual(10_000);
    expect(at - last).toBeLessThan(20_000);
    expect(stream[0].details.silent_ms).toBe(at - last);
    expect(stream[0].explanation).toMatch(/The stream has been silent for 1\d\.\d s of event time; it usually sends 1[23] lines per second/);
    // Whenever the ticks come (fewer, later), or a line ends the silence: the same finding at the same event time.
    const { index: _i, ...same } = stream[0];
    for (const later of [[last + 31_000], [last + 12_345, last + 99_000]].map((ds) => ds.map((ts): ScoreInput => ({ ts, idle: true })))) {
      const f = runStream('logs', [...ev, ...later], 100).findings.filter((x) => x.details.kind === 'stream_silence');
      expect(f.map(({ index: _j, ...rest }) => rest)).toEqual([same]);
    }
    const resumed = runStream('logs', [...ev, { ts: last + 45_000, text: ev[ev.length - 1].text }], 100).findings.filter((x) => x.details.kind === 'stream_silence');
    expect(resumed.map(({ index: _j, ...rest }) => rest)).toEqual([same]);
    // Ticks do not change the findings on the lines, and a tick-free replay gives no stream silence.
    expect(withTicks.findings.filter((f) => f.index < ev.length)).toEqual(findings);
    expect(runStream('logs', [...ev, ...ticks], 37).findings).toEqual(withTicks.findings);
  });

  it('findings and state do not depend on how the stream is split into batches', () => {
    const ev = apiStream(2500, 4);
    ev[2000] = { ...ev[2000], text: 'FATAL payments out of memory while allocating 512 MiB for settlement batch' };
    ev[2100] = { ...ev[2100], metadata: { region: 'sa-east-1', tier: 'free' } };
    const one = runStream('logs', ev);
    const many = runStream('logs', ev, 100);
    const odd = runStream('logs', ev, 37);
    expect(one.findings.length).toBeGreaterThan(1);
    expect(many.findings).toEqual(one.findings);
    expect(odd.findings).toEqual(one.findings);
    expect(Buffer.from(many.state as Uint8Array).equals(Buffer.from(one.state as Uint8Array))).toBe(true);
    expect(Buffer.from(odd.state as Uint8Array).equals(Buffer.from(one.state as Uint8Array))).toBe(true);
    // The value-burst ring is saved as its last REPEAT_PARAMS.ring lines (its older entries are dropped in one copy now and then).
    const hr = (JSON.parse(Buffer.from(one.state as Uint8Array).toString()) as { hr: number[] }).hr;
    expect(hr.length).toBe((REPEAT_PARAMS.maxSlots + 1) * REPEAT_PARAMS.ring);
    expect(hr[hr.length - REPEAT_PARAMS.maxSlots - 1]).toBe(ev[ev.length - 1].ts);
  });

  it('carries on from a v2 state written before the scan, pooled keys and silence (4-number rate records)', () => {
    const ev = apiStream(6000, 8);
    for (let i = 0; i < ev.length; i += 97) ev[i] = { ts: ev[i].ts, text: `WARN worker retrying job ${i.toString(16)} after timeout` };
    const first = runStream('logs', ev.slice(0, 4000), 500);
    const s = JSON.parse(new TextDecoder().decode(first.state)) as { r: Record<string, number[]>; k?: unknown; sr?: unknown; q?: unknown; sub?: unknown };
    // The older format: [window start, count, decayed mean, windows], no k, sr, q, sub.
    for (const id of Object.keys(s.r)) s.r[id] = s.r[id].slice(0, 4);
    delete s.k;
    delete s.sr;
    delete s.q;
    delete s.sub;
    const rest = ev.slice(4000);
    for (let i = 1000; i < 1030; i++) rest[i] = { ts: rest[i].ts, text: `WARN worker retrying job c${i.toString(16)} after timeout` };
    const enc = new TextEncoder();
    return import('../../workers/score.js').then(({ default: score }) => {
      const r = score({ stream: 's', streamType: 'logs', state: enc.encode(JSON.stringify(s)), events: enc.encode(JSON.stringify(rest)) });
      if (!r.ok) throw new Error(r.message);
      const rate = r.findings.filter((f) => f.detector === 'template_rate');
      expect(rate.length).toBeGreaterThan(0);
      expect(rate.every((f) => f.index >= 1000 && f.index < 1100)).toBe(true);
      const after = JSON.parse(new TextDecoder().decode(r.state)) as { r: Record<string, number[]> };
      expect(Object.values(after.r).every((x) => x.length === 16)).toBe(true);
    });
  });

  it('a thread continues its live scorer only for the exact state it returned: same findings and bytes as parsing', () => {
    const ev = apiStream(1500, 5);
    ev[1200] = { ...ev[1200], text: 'FATAL payments out of memory while allocating 512 MiB for settlement batch' };
    const batches = [ev.slice(0, 500), ev.slice(500, 1000), ev.slice(1000)];
    // Reference: no key, so every task parses its state.
    const ref: { state: Uint8Array; findings: unknown[] }[] = [];
    let state: Uint8Array | null = null;
    for (const b of batches) {
      const r = scoreLogs(state, b, undefined);
      ref.push(r);
      state = r.state;
    }
    // Keyed: tasks 2 and 3 continue the live scorer.
    state = null;
    for (let k = 0; k < batches.length; k++) {
      const r = scoreLogs(state === null ? null : Uint8Array.from(state), batches[k], undefined, 0.5, 'live-test');
      expect(Buffer.from(r.state).equals(Buffer.from(ref[k].state))).toBe(true);
      expect(r.findings).toEqual(ref[k].findings);
      state = r.state;
    }
    // A state that is not the one the thread returned last (an older checkpoint, a changed byte) is parsed, not continued.
    const old = scoreLogs(Uint8Array.from(ref[0].state), batches[1], undefined, 0.5, 'live-test');
    expect(Buffer.from(old.state).equals(Buffer.from(ref[1].state))).toBe(true);
    const changed = Uint8Array.from(old.state);
    const at = Buffer.from(changed).indexOf('"n":');
    changed[at + 4] = changed[at + 4] === 57 ? 56 : changed[at + 4] + 1;
    const fresh = scoreLogs(Uint8Array.from(changed), batches[2], undefined);
    expect(Buffer.from(scoreLogs(changed, batches[2], undefined, 0.5, 'live-test').state).equals(Buffer.from(fresh.state))).toBe(true);
  });

  it('upgrades a v1 text checkpoint in place: baseline and null carry on, no new warm-up', () => {
    const ev = apiStream(1500, 5);
    const v1 = scoreText(null, ev.slice(0, 1000)).state;
    expect(JSON.parse(new TextDecoder().decode(v1))).toMatchObject({ v: 1, kind: 'text' });
    const enc = new TextEncoder();
    const rest = ev.slice(1000);
    rest[200] = { ...rest[200], text: 'CRITICAL auth signing key not found in keystore; refusing to issue tokens' };
    // score() through the worker entry, state from the old detector.
    return import('../../workers/score.js').then(({ default: score }) => {
      const r = score({ stream: 's', streamType: 'logs', state: v1, events: enc.encode(JSON.stringify(rest)) });
      if (!r.ok) throw new Error(r.message);
      expect(r.findings.map((f) => f.index)).toContain(200);
      const s = JSON.parse(new TextDecoder().decode(r.state)) as { v: number; kind: string; t: { n: number } };
      expect(s).toMatchObject({ v: 2, kind: 'logs' });
      expect(s.t.n).toBe(1500);
    });
  });
});
