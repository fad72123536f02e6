// A new failure's incident goes on (logs-sequel.ts): after a never-seen warning is reported, the
// stream's later lines of its shape are its incident's lines, reported, while they keep coming
// (voip generator: a trunk down for 10 minutes, the proxy's local 503 for every call routed to it;
// only the first was reported). A new routine value that recurs (a trunk added) opens none.
import { describe, expect, it } from 'vitest';
import { SEQUEL_DETECTOR } from '../../workers/detectors/logs.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { runStream } from './helpers.js';

describe('a new warning that keeps coming', () => {
  const r = seeded(5);
  const t0 = Date.UTC(2026, 7, 22, 21, 0, 0);
  const stamp = (ts: number): string => new Date(ts).toISOString().slice(11, 19);
  const reply = (ts: number, code: string, src: string): string =>
    `Aug 22 ${stamp(ts)} sbc-edge-01 /usr/sbin/kamailio[${r.int(2100, 2300)}]: ${code.startsWith('200') ? 'INFO' : 'WARNING'}: <script>: [REPLY] ci=${r.hex(16)}@10.0.0.${r.int(2, 250)} ${code} src=${src}`;
  const route = (ts: number, gw: string): string =>
    `Aug 22 ${stamp(ts)} sbc-edge-01 /usr/sbin/kamailio[${r.int(2100, 2300)}]: INFO: <script>: [INVITE] ci=${r.hex(16)}@10.0.0.${r.int(2, 250)} R-URI=sip:+44${r.int(1e9, 9e9)}@carrier.example gw=${gw}`;
  const normal = (ts: number): string => {
    const u = r.next();
    if (u < 0.5) return reply(ts, '200 OK', r.pick(['194.65.65.50:5060', '10.30.0.21:5060']));
    if (u < 0.6) return reply(ts, '486 Busy Here', r.pick(['194.65.65.50:5060', '10.30.0.21:5060']));
    return route(ts, r.pick(['trunk-uk1', 'trunk-intl']));
  };
  const events: { ts: number; text: string }[] = [];
  let ts = t0;
  for (let i = 0; i < 3000; i++) events.push({ ts: (ts += 2000), text: normal(ts) });
  // A trunk down: the proxy answers every call to it itself, 503 from `local`, every ~15 s for 6 minutes.
  const outage: number[] = [];
  for (let i = 0; i < 24; i++) {
    for (let j = 0; j < 7; j++) events.push({ ts: (ts += 2000), text: normal(ts) });
    outage.push(events.length);
    events.push({ ts: (ts += 1000), text: reply(ts, '503 Service Unavailable', 'local') });
  }
  for (let i = 0; i < 200; i++) events.push({ ts: (ts += 2000), text: normal(ts) });
  // A trunk added: its name is new in a routine line, then common.
  const added: number[] = [];
  for (let i = 0; i < 30; i++) {
    for (let j = 0; j < 5; j++) events.push({ ts: (ts += 2000), text: normal(ts) });
    added.push(events.length);
    events.push({ ts: (ts += 1000), text: route(ts, 'trunk-eu2') });
  }

  it('every line of the new warning is reported while it keeps coming; a new routine value opens no incident', () => {
    const { findings } = runStream('logs', events, 100);
    const flagged = new Set(findings.map((f) => f.index));
    expect(outage.filter((i) => !flagged.has(i))).toEqual([]);
    const seq = findings.filter((f) => f.detector === SEQUEL_DETECTOR);
    expect(seq.length).toBeGreaterThanOrEqual(outage.length - 2);
    expect(seq.every((f) => outage.includes(f.index))).toBe(true);
    expect(seq[0].explanation).toMatch(/^Line 2 of an incident that began .* with a never-seen warning/);
    expect(added.slice(3).filter((i) => flagged.has(i))).toEqual([]);
  });
});
