// The value-burst tests' firewall lines (value-burst.unit.test.ts, value-burst-ordinary.unit.test.ts,
// scan-breadth.unit.test.ts): their start time, an internet source's address, a netfilter drop of
// it, and the internet's background knocking.
import type { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';

type Rng = ReturnType<typeof seeded>;

export const T0 = 1_700_000_000_000;

/** A random internet address. */
export const ip = (r: Rng): string => `${r.int(5, 220)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;

/** A netfilter drop of `src` knocking on port `dpt` (from port `spt`). */
export const drop = (r: Rng, src: string, dpt: number, spt = r.int(1024, 65_535)): string =>
  `kernel: FW-DROP-WAN: IN=eth0 SRC=${src} DST=198.51.100.10 TTL=${r.int(40, 245)} ID=${r.int(1, 65_535)} PROTO=TCP SPT=${spt} DPT=${dpt} SYN`;

/** Internet background noise from `r`: a source every ~4 s knocking 1-4 ports (`port` picks each), 0.2-9 s apart, for `seconds` from T0. */
export function knocks(r: Rng, seconds: number, port: (r: Rng) => number): ScoreInput[] {
  const out: ScoreInput[] = [];
  for (let t = T0; t < T0 + seconds * 1000; t += r.int(500, 7000)) {
    const src = ip(r);
    let ts = t;
    for (let k = r.int(1, 4); k > 0; k--) {
      out.push({ ts, text: drop(r, src, port(r)) });
      ts += r.int(200, 9000);
    }
  }
  return out;
}
