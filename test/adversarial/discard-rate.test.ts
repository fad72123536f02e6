// Issue 12's drain, attacked: a refused body is read and dropped until it ends (discard.ts), so a
// client without a credential, refused at once, could make the engine read its MAX_BODY_BYTES
// bodies at the speed of the network on many connections (before, the refusal closed them). With
// 64 such connections sending 16 MiB bodies in a loop, /health's median went from 3 ms to 119 ms
// (load 18 on 2 cores). Now the engine drops at most its body budget (4 × MAX_BODY_BYTES) at once
// and as much again per second, engine-wide; past that a refusal is cut (answered and closed at
// once) as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

const KiB = 1024;
const MiB = 1024 * KiB;
let h: Harness;

// MAX_BODY_BYTES 1 MiB: refused bodies are dropped at 4 MiB at once, then 4 MiB per second.
beforeAll(async () => { h = await startHarness({ maxBodyBytes: MiB }); });
afterAll(async () => { await h?.close(); });

describe('the bytes of refused bodies the engine reads and drops are bounded engine-wide', () => {
  it('sixteen wrong keys each sending a 1 MiB body at 1.25 MiB/s: most are cut before their body ends, not all drained', async () => {
    const wrong = `Bearer dw_${'A'.repeat(32)}`;
    const rs = Array.from({ length: 16 }, () => RawRequest.post(h.engine.port, '/api/v1/events/ingest', wrong, MiB, '[' + ' '.repeat(64 * KiB - 1)));
    try {
      // 15 more chunks of 64 KiB, one every 50 ms (16 × 1 MiB in about 0.8 s: 15 MiB past the refusals, about 7 MiB may be dropped).
      let cut = 0;
      for (let i = 1; i < 16; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (const r of rs) r.sendAfterRead(' '.repeat(64 * KiB));
      }
      await new Promise((resolve) => setImmediate(resolve));
      // Cut: answered or closed before the last of its body was sent.
      cut = rs.filter((r) => r.answered || r.ended).length;
      expect(cut).toBeGreaterThanOrEqual(4);
      // Those drained get their 401 once their body ended, the others theirs (or a reset) at the cut.
      // Or 503 DW_ERR_UNAVAILABLE: all sixteen come from one address, and the bytes that arrive
      // before the key lookup answers are held against that address's share of the body budget
      // (body.ts); on a loaded machine (CI at load 24) the lookup is slow enough for them to
      // overrun it. Never anything else (a 2xx, a 500).
      for (const r of rs) {
        expect(await r.closedByServer(5_000)).toBe(true);
        if (r.answered) expect([401, 503]).toContain(r.status);
      }
    } finally {
      for (const r of rs) r.destroy();
    }
  });
});
