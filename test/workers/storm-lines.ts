// The SYN-flood storm the text-storm tests build (workers/detectors/text-quarantine.ts): a stream
// of ordinary lines a second apart, and the kernel's warning flooding on top of its pace.
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';

export const T0 = 1_700_000_000_000;

/** `n` ordinary lines: API calls, logins and a worker's retries. */
export function normal(n: number, seed: number): string[] {
  const r = seeded(seed);
  return Array.from({ length: n }, () => {
    const k = r.int(0, 9);
    return k < 6 ? `INFO api GET /api/orders status=200 req=${r.hex(12)}` : k < 9 ? `INFO auth login ok user=u${r.int(0, 999)}` : `WARN worker retrying job ${r.hex(8)} after timeout`;
  });
}

export const SYN = (port: number): string => `kernel: TCP: request_sock_TCP: Possible SYN flooding on port ${port}. Sending cookies.  Check SNMP counters.`;

/**
 * `n` warnings on top of the stream's pace, each half a second before one of its next lines (line
 * `i` on): the events to `ev`, the warnings' indices to `storm`; returns the line after.
 */
export function pushStorm(ev: ScoreInput[], lines: readonly string[], i: number, n: number, storm?: Set<number>): number {
  for (let j = 0; j < n; j++, i++) {
    storm?.add(ev.length);
    ev.push({ ts: T0 + i * 1000 - 500, text: SYN([443, 25, 1194][j % 3]) });
    ev.push({ ts: T0 + i * 1000, text: lines[i] });
  }
  return i;
}
