// The value-burst tests' firewall lines (value-burst.unit.test.ts, value-burst-ordinary.unit.test.ts):
// their start time, an internet source's address and a netfilter drop of it.
import type { seeded } from '../../src/tools/eval/generators/random.js';

type Rng = ReturnType<typeof seeded>;

export const T0 = 1_700_000_000_000;

/** A random internet address. */
export const ip = (r: Rng): string => `${r.int(5, 220)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;

/** A netfilter drop of `src` knocking on port `dpt` (from port `spt`). */
export const drop = (r: Rng, src: string, dpt: number, spt = r.int(1024, 65_535)): string =>
  `kernel: FW-DROP-WAN: IN=eth0 SRC=${src} DST=198.51.100.10 TTL=${r.int(40, 245)} ID=${r.int(1, 65_535)} PROTO=TCP SPT=${spt} DPT=${dpt} SYN`;
