// Value bursts (workers/detectors/logs-repeat.ts via logs.ts): one value of an id-like slot (a
// source address) recurring in a template's lines far more than any value of it usually does — a
// port scan — is reported from its first seconds; a host that always comes in bursts of that size
// (a monitoring check) is not. Both fail on the code before logs-repeat.ts (no value_burst finding
// at all: the template's own rate, knocks of many sources in clumps, needs 30-40 scan lines).
// The third fails on branch edge12's rule (its peak was 0 while no window of event time had
// closed): the same stream replayed with times 1 ms apart (a file read without its times) has
// its monitoring host's bursts of 12 reported; since minWindows it has no history in time and
// no value burst. The fourth fails on edge12's rule too (its peak, decayed by 0.99 per 10 s,
// forgets an hourly burst: every one of them was reported) and holds since a value that burst
// before and comes back after a minute without bursting is routine. The fifth fails on the rule
// before branch edge14 (then off by default; switched on, at 500 lines, 21 of a node's 30 lines
// were reported): a host's routine run of its ordinary lines is one value in many lines of its
// template, but not broad (no slot whose values usually recur shows more of them than usual); a
// scan is (its ports). Since edge14 the rule is on by default. The sixth fails before branch
// seeds15: where sources knock on ports from a wide range (the port slot's effective number of
// values, 1 / share, about 28, more than the 24 lines the ring holds) no scan could ever show more
// ports than that, and a scan of 4 ports a second was not reported at all (edge seed 202's first scan).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { drop, knocks, T0 } from './firewall-lines.js';


const reply = (r: ReturnType<typeof seeded>, client: string, name: string): string => `unbound: [1187:0] info: ${client} ${name} A IN NOERROR 0.000000 1 ${r.int(45, 190)}`;
const NAMES = ['intranet.corp.example.', 'mail.corp.example.', 'gitlab.corp.example.', 'www.google.com.', 'slack.com.', 'zoom.us.'];

/**
 * Internet background noise: a source every ~4 s knocking 1-4 common ports, 0.2-9 s apart; DNS
 * replies to the LAN's clients, and a monitoring host's check of 12 names every 5 minutes.
 */
function noise(seconds: number, seed: number): ScoreInput[] {
  const r = seeded(seed);
  const out = knocks(r, seconds, (q) => q.pick([22, 23, 80, 443, 445, 3389]));
  for (let t = T0; t < T0 + seconds * 1000; t += r.int(100, 2000)) out.push({ ts: t, text: reply(r, `10.20.${r.int(0, 3)}.${r.int(2, 250)}`, r.pick(NAMES)) });
  for (let t = T0 + 60_000; t < T0 + seconds * 1000; t += 300_000) {
    for (let k = 0; k < 12; k++) out.push({ ts: t + k * 40, text: reply(r, '10.20.0.5', NAMES[k % NAMES.length]) });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

describe('value bursts (logs-repeat.ts)', () => {
  it('a port scan (one source, 60 ports in 9 s) is reported from its first seconds; the monitoring host\'s usual bursts are not', () => {
    const ev = noise(3600, 1);
    const at = T0 + 3_000_000 + 7_000;
    const r = seeded(9);
    const scan: ScoreInput[] = Array.from({ length: 60 }, (_, j) => ({ ts: at + j * 150, text: drop(r, '185.197.178.168', r.int(1, 65_535), 42_101) }));
    const all = [...ev, ...scan].sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', all, 100);
    const burst = findings.filter((f) => f.detector === 'value_burst');
    const inScan = burst.filter((f) => all[f.index].text?.includes('185.197.178.168'));
    expect(inScan.length).toBeGreaterThan(30);
    // Within its first 20 lines (3 s): the template's own rate test needs 30-40.
    const first = Math.min(...inScan.map((f) => f.index));
    expect(all.slice(0, first).filter((e) => e.text?.includes('185.197.178.168')).length).toBeLessThan(20);
    expect(inScan[0].explanation).toMatch(/one value of an id-like slot in \d+ of its lines within 10 s/);
    expect(burst.filter((f) => !all[f.index].text?.includes('185.197.178.168'))).toEqual([]);
  });

  it('the same stream without a scan has no value burst, split in any batches (state in the checkpoint)', () => {
    const ev = noise(3600, 2);
    const one = runStream('logs', ev, ev.length).findings.filter((f) => f.detector === 'value_burst');
    const many = runStream('logs', ev, 37).findings.filter((f) => f.detector === 'value_burst');
    expect(one).toEqual([]);
    expect(many).toEqual([]);
  });

  it('a stream replayed with times 1 ms apart (no history in event time) has no value burst: the monitoring host\'s bursts are routine', () => {
    const ev = noise(3600, 3).map((e, i) => ({ ...e, ts: T0 + i }));
    // The monitoring host's 12 replies in a row are in the replay as they were.
    expect(ev.filter((e) => e.text?.includes(' 10.20.0.5 ')).length).toBeGreaterThan(100);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'value_burst')).toEqual([]);
  });

  it('one host\'s hourly burst of a warning with varying values (a monitoring daemon) is reported at most the first time', () => {
    const r = seeded(4);
    const line = (host: string): string => `gmond[2156]: metric ${r.pick(['cpu_idle', 'mem_free', 'disk_free', 'load_one', 'bytes_in'])} of host ${host} stale for ${r.int(30, 900)} s (seq ${r.int(1, 1e6)})`;
    const ev: ScoreInput[] = [];
    // The cluster's nodes: one stale metric every 0.5-5 s from one of 400 nodes, for 6 hours.
    for (let t = T0; t < T0 + 6 * 3_600_000; t += r.int(500, 5000)) ev.push({ ts: t, text: line(`cn${r.int(1, 400)}`) });
    // The admin host's daemon: 20 warnings within 2 s at the top of every hour.
    const bursts: number[] = [];
    for (let h = 1; h < 6; h++) for (let k = 0; k < 20; k++) bursts.push(T0 + h * 3_600_000 + 777 + k * 100);
    for (const ts of bursts) ev.push({ ts, text: line('admin1') });
    ev.sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', ev, 100);
    const burst = findings.filter((f) => f.detector === 'value_burst');
    // Nothing outside the admin host's bursts, nothing after its first.
    expect(burst.filter((f) => !ev[f.index].text?.includes('admin1'))).toEqual([]);
    expect(burst.filter((f) => ev[f.index].ts > T0 + 2 * 3_600_000)).toEqual([]);
  });
  it('a host\'s routine run (its few ordinary messages repeated quickly, a sequence number and a reading changing on each) is not a value burst', () => {
    // A cluster's log: 300 nodes, one line every 0.5-5 s from one of them (an agent's reading of
    // one of 6 metrics, or a cron session), for an hour; then one node writes 30 of its agent
    // lines in 6 s: its few metrics over and over, a new reading and sequence number on each.
    // Fails on the rule before branch edge14 (switched on at 500 lines): the node's first run was
    // a value burst of its name, at c 6-25 against a usual 1.
    const r = seeded(14);
    const METRICS = ['cpu_idle', 'mem_free', 'disk_free', 'load_one', 'bytes_in', 'pkts_out'];
    const seq = new Map<string, number>();
    const agent = (host: string): string => {
      const n = (seq.get(host) ?? r.int(1, 5000)) + 1;
      seq.set(host, n);
      return `agent[${r.int(2000, 2100)}]: node ${host} reading ${r.pick(METRICS)} value ${(r.next() * 1000).toFixed(2)} seq ${n}`;
    };
    const cron = (host: string): string => `crond[${r.int(1000, 60_000)}]: session opened for user root on node ${host}`;
    const ev: ScoreInput[] = [];
    for (let t = T0; t < T0 + 3_600_000; t += r.int(500, 5000)) {
      const host = `cn${r.int(100, 399)}`;
      ev.push({ ts: t, text: r.chance(0.8) ? agent(host) : cron(host) });
    }
    const at = T0 + 3_600_000 + 1_500;
    const run: ScoreInput[] = Array.from({ length: 30 }, (_, j) => ({ ts: at + j * 200, text: agent('cn142') }));
    const all = [...ev, ...run, { ts: at + 9_000, text: cron('cn200') }];
    expect(ev.filter((e) => e.text?.includes('node cn142 ')).length).toBeGreaterThan(0);
    const { findings } = runStream('logs', all, 100);
    expect(findings.filter((f) => f.detector === 'value_burst')).toEqual([]);
  });
  it('a scan is broad though the port slot usually spreads over more values than the ring holds', () => {
    // Sources knock on 1-4 of 28 ports (a Simpson share of about 1/28, above sharedMin); DNS
    // replies in between. A scan: one source, 40 ports 250 ms apart.
    const r = seeded(21);
    const PORTS = Array.from({ length: 28 }, (_, k) => [21, 22, 23, 25, 80, 81, 110, 139, 143, 161, 443, 445, 1433, 1723, 2323, 3306, 3389, 5060, 5555, 5900, 6379, 7547, 8080, 8443, 8888, 9200, 11211, 27017][k]);
    const ev = knocks(r, 3600, (q) => q.pick(PORTS));
    for (let t = T0; t < T0 + 3600 * 1000; t += r.int(100, 2000)) ev.push({ ts: t, text: reply(r, `10.20.${r.int(0, 3)}.${r.int(2, 250)}`, r.pick(NAMES)) });
    const at = T0 + 3_000_000 + 3_000;
    const scan: ScoreInput[] = Array.from({ length: 40 }, (_, j) => ({ ts: at + j * 250, text: drop(r, '185.215.142.249', r.int(1, 65_535), 51_234) }));
    const all = [...ev, ...scan].sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', all, 100);
    const burst = findings.filter((f) => f.detector === 'value_burst');
    expect(burst.filter((f) => all[f.index].text?.includes('185.215.142.249')).length).toBeGreaterThan(10);
    expect(burst.filter((f) => !all[f.index].text?.includes('185.215.142.249'))).toEqual([]);
  });
});
