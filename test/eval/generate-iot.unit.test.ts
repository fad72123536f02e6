// The iot generator: pure (same seed, same bytes), every kind labelled, every label a line that
// exists, labels consistent with the lines they point at (and normal lines never like them), sane
// incident counts, five formats, the benign events a fleet has (rollout, new devices, drain wave).
import { describe, expect, it } from 'vitest';
import { generateIot, IOT_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/iot.js';
import { NEW_CHANNELS, NEW_REGIONS, NEW_TENANTS, STREAMS } from '../../src/tools/eval/generators/iot-lines.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, expectSilenceAt, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up, a silence of up to 25 and every other kind
/** A line with its ids, numbers and timestamps masked: its template, roughly. */
const shape = (l: string): string => l.replace(/\[[ \w-]{15}\]/, '[T]').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/dev-[0-9a-f]{10}/g, 'D').replace(/\d+\.\d+\.\d+(-rc\.\d+)?/g, 'V').replace(/\d+/g, '0');

describe('eval generate --kind iot', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('iot', generateIot, SHORT, /device fleet/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateIot(seed, SHORT);
      expectLabelledLogSet(set, IOT_KINDS, WARMUP_MS);
      expect(set.labels.anomalous.every((i) => set.events[i] !== undefined && typeof set.labels.kinds[String(i)] === 'string')).toBe(true);
      const n = incidents(set);
      expect(n.new_error).toBe(4);
      expect(n.unusual_value).toBe(5);
      expect(n.unseen_category).toBe(3);
      expect(n.silence).toBe(1);
      expect(n.retry_storm).toBeGreaterThanOrEqual(2);
      expect(n.credential_stuffing).toBeGreaterThanOrEqual(1);
      expect(idxOf(set, 'credential_stuffing').length).toBeGreaterThanOrEqual(80);
      expect(n.rare_error).toBeGreaterThanOrEqual(7);
      expect(idxOf(set, 'rare_error').length).toBe(9);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(70);
      const last = Math.max(...idxOf(set, 'rare_burst'));
      expect(idxOf(set, 'rare_error').filter((i) => i > last).length).toBeGreaterThanOrEqual(6);
      expect(idxOf(set, 'retry_storm').length).toBeGreaterThanOrEqual(2 * 40);
    }
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6, 7]) {
      const set = generateIot(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      // every line of a new error is new, but for the frame count a Java trace shares with benign ones
      for (const l of ofKind(set, 'new_error').filter((x) => !/^\t\.\.\. \d+ common frames omitted$/.test(x))) expect(normalShapes.has(shape(l)), l).toBe(false);
      const rare = new Set([...ofKind(set, 'rare_error'), ...ofKind(set, 'rare_burst')].map((l) => shape(l).replace(/sha0:[0-9a-f]+/g, 'H')));
      expect(rare.size).toBe(1);
      for (const s of rare) expect(normalShapes.has(s)).toBe(false);
      const ev = set.events.map((e, i) => [e, i] as const);
      const unseen = ([e]: (typeof ev)[number]): boolean => {
        const l = String(e.data);
        return NEW_REGIONS.some((x) => e.metadata?.region === x || l.includes(`"region":"${x}"`)) || NEW_CHANNELS.some((x) => l.includes(`channel ${x})`))
          || l.includes('"qos":2') || NEW_TENANTS.some((x) => l.includes(`tenant=${x} `));
      };
      for (const x of ev.filter(([, i]) => set.labels.kinds[String(i)] === 'unseen_category')) expect(unseen(x)).toBe(true);
      expect(ev.filter(([, i]) => !(String(i) in set.labels.kinds)).some(unseen)).toBe(false);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/command delivery retry|resumed at byte|out-of-order sample dropped/);
      for (const l of ofKind(set, 'credential_stuffing')) expect(l).toMatch(/New connection from (?!10\.)[\d.]+:\d+ on port 8883\.$|disconnected, not authorised\.$/);
      for (const l of ofKind(set, 'unusual_value')) {
        const odd = l.includes('"route"') ? (num(l, /"status":(\d+)/) >= 500 || num(l, /"latency_ms":([\d.]+)/) > 60)
          : l.includes('telemetry batch accepted') ? num(l, /"bytes":(\d+)/) > 10_000
            : l.includes('push accepted') ? num(l, /duration=([\d.]+)ms/) > 40
              : num(l, /bytes in (\d+) ms/) > 5000;
        expect(odd, l).toBe(true);
      }
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const normal = normalOf(generateIot(8));
    const route = (r: string): string[] => normal.filter((l) => l.includes(`"route":"${r}"`));
    const shadow = [...route('/v1/devices/{id}/shadow')];
    expect(shadow.length).toBeGreaterThan(1000);
    expect(shadow.every((l) => num(l, /"status":(\d+)/) < 500 && num(l, /"latency_ms":([\d.]+)/) < 60)).toBe(true);
    expect(route('/v1/devices/{id}/commands').some((l) => l.includes('"status":504'))).toBe(true);
    expect(route('/v1/fleet/summary').filter((l) => num(l, /"latency_ms":([\d.]+)/) > 100).length).toBeGreaterThan(10);
    expect(Math.max(...normal.filter((l) => l.includes('telemetry batch accepted')).map((l) => num(l, /"bytes":(\d+)/)))).toBeLessThan(2500);
    expect(Math.max(...normal.filter((l) => l.includes('push accepted')).map((l) => num(l, /duration=([\d.]+)ms/)))).toBeLessThan(40);
    expect(Math.max(...normal.filter((l) => l.includes('Config bundle')).map((l) => num(l, /bytes in (\d+) ms/)))).toBeLessThan(5000);
    const warnings = normal.filter((l) => /"level":"warn"| WARN |level=warn|^<132>/.test(l)).length;
    expect(warnings / normal.length).toBeGreaterThan(0.003);
    expect(warnings / normal.length).toBeLessThan(0.03);
  });

  it('silence: the labelled line is its stream\'s first after the only long gap', () => {
    for (const seed of [2, 3]) {
      const set = generateIot(seed, SHORT);
      const [i] = idxOf(set, 'silence');
      const stream = set.events[i].stream;
      expect(stream).toBe(seed % 2 === 0 ? STREAMS.tsdb : STREAMS.devices);
      expectSilenceAt(set, i);
    }
  });

  it('a full run: 20-32k lines over 4-6 hours in five formats, with a rollout, new devices and a drain wave', () => {
    const full = generateIot(9);
    const text = expectFullLogRun(full, [20_000, 32_000], [3.9, 6.1], STREAMS);
    expect(text(STREAMS.broker).every((l) => /^\d{10}: \S/.test(l))).toBe(true);
    expect(text(STREAMS.gateway).every((l) => typeof JSON.parse(l).caller === 'string')).toBe(true);
    expect(text(STREAMS.ota).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {1,2}[A-Z]{4,5} 1 --- \[[ \w-]{15}\] \S+ +: /.test(l) || /^(\tat |\t\.\.\. \d+ common|Caused by: |org\.apache)/.test(l))).toBe(true);
    expect(text(STREAMS.tsdb).every((l) => /^level=\w+ ts=\S+ caller=\S+ tenant=fleet-(eu|us) msg="[^"]+"/.test(l))).toBe(true);
    expect(text(STREAMS.devices).every((l) => /^<13[2-4]>1 \S+ dev-[0-9a-f]{10} telemetryd \d+ - - /.test(l))).toBe(true);
    const ids = text(STREAMS.gateway).filter((l) => l.includes('"request_id"')).map((l) => JSON.parse(l).request_id);
    expect(new Set(ids).size).toBe(ids.length);
    const fw = new Set(text(STREAMS.devices).map((l) => /fw=(\S+)/.exec(l)?.[1]));
    expect(fw.size).toBeGreaterThanOrEqual(4); // older, stable, beta and the rollout's new version
    expect(text(STREAMS.ota).some((l) => l.includes('advanced to stage 2/4'))).toBe(true);
    expect(text(STREAMS.ota).some((l) => l.startsWith('org.apache.catalina.connector.ClientAbortException'))).toBe(true);
    expect(text(STREAMS.gateway).filter((l) => l.includes('device registered')).length).toBeGreaterThan(10);
    // the drain wave: far more closed connections in one 2-minute window than in any other
    const closed = full.events.filter((e) => e.stream === STREAMS.broker && String(e.data).endsWith('closed its connection.')).map((e) => Math.floor(Date.parse(e.timestamp) / 120_000));
    const per = new Map<number, number>();
    for (const b of closed) per.set(b, (per.get(b) ?? 0) + 1);
    expect(Math.max(...per.values())).toBeGreaterThan(100);
  });
});
