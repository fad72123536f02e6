// A bare slot after a plain word (`via <*>`) is also judged pooled over the stream's templates
// (slots.ts bareKey, branch cat14): dhcpd names the interface at the end of its DISCOVER, REQUEST
// and ACK lines, each template seen too rarely for its own slot to be judged, so a lease on the
// WAN interface was never news; pooled, the interface has its three values in every lease.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_760_000_000_000;
const IFACES = ['eth1', 'eth1', 'eth2', 'eth3'];

function leases(n: number, at: number, via: string): ScoreInput[] {
  const r = seeded(7);
  const out: ScoreInput[] = [];
  const hex = (): string => r.int(16, 255).toString(16);
  for (let i = 0; i < n; i++) {
    const v = i === at ? via : r.pick(IFACES);
    const mac = `${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}`;
    const ip = `10.20.${r.int(0, 3)}.${r.int(10, 250)}`;
    const ts = T0 + i * 60_000;
    const line = (k: number, msg: string): ScoreInput => ({ ts: ts + k * 50, text: `dhcpd[812]: ${msg}` });
    out.push(line(0, `DHCPDISCOVER from ${mac} via ${v}`), line(1, `DHCPREQUEST for ${ip} from ${mac} via ${v}`), line(2, `DHCPACK on ${ip} to ${mac} via ${v}`));
  }
  return out;
}

describe('a bare slot after a plain word, pooled over the stream\'s templates', () => {
  it('a lease via an interface never used, after 70 leases (each template seen 70 times), is reported', () => {
    const at = 70;
    const { findings } = runStream('logs', leases(80, at, 'eth0'), 100);
    const slot = findings.filter((f) => f.detector === 'template_slot');
    expect(slot.filter((f) => f.index === 3 * at).map((f) => f.explanation).join(' ')).toMatch(/Slot "via <\*>" over the stream's templates .*value "eth0" never seen/);
    expect(slot.filter((f) => f.index < 3 * at).map((f) => `${f.index}: ${f.explanation}`)).toEqual([]);
  });
});
