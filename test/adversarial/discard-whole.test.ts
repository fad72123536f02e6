// Issue 12's drain, attacked from one address with many connections at once: a refused body is
// drained to its end or not at all (engine/sources/discard.ts). Its whole rest is taken from the
// engine-wide DiscardRate when it is refused; when the rate does not hold it, the refusal is cut at
// once (answered and closed before another byte of it is read). Before, each refusal was let in
// while the rate held any byte and took its chunks as they came: 64 connections of a wrong key
// sending 16 MiB bodies made the engine read about 85 MiB/s of them and drain not one to its end
// (all cut midway once the rate ran dry), and /health's p99 went from 15 to 180-194 ms
// (bench/refusal-flood.bench.ts, load 22 on 2 cores).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const FIRST = 64 * KiB;
let h: Harness;

// MAX_BODY_BYTES 1 MiB: refused bodies are dropped at most 4 MiB at once, then 4 MiB per second.
// No minimum body rate: nothing but the drain's own bound may cut a body that stops arriving.
beforeAll(async () => { h = await startHarness({ maxBodyBytes: MiB, minBodyBytesPerSecond: 0 }); });
afterAll(async () => { await h?.close(); });

const settled = (r: RawRequest): boolean => r.answered || r.ended;

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a refused body is drained to its end or cut at once, never read in part and then cut', () => {
  it('32 wrong keys declaring 1 MiB, 64 KiB of it sent: those past the rate are cut at the refusal; every one let in gets its 401 once its body ended', async () => {
    const wrong = `Bearer dw_${'A'.repeat(32)}`;
    // The wrong key looked up once (its refusal cached): the 32 below are refused together.
    const first = await fetch(`${h.url}/api/v1/events/ingest`, { method: 'POST', headers: { authorization: wrong, 'content-type': 'application/json' }, body: '[]' });
    expect(first.status).toBe(401);
    await first.text();
    const rs = Array.from({ length: 32 }, () => RawRequest.post(h.engine.port, '/api/v1/events/ingest', wrong, MiB, '[' + ' '.repeat(FIRST - 1)));
    try {
      // 32 rests of 960 KiB against 4 MiB: 4 are let in, and one more per 960 KiB refilled (4 MiB/s)
      // while the refusals are decided. The others are answered and closed with nothing more sent
      // (before: all let in while the rate held a byte, none cut).
      // (Waited for 5 s at most: uWS closes a connection idle for 10 s, answered or not.)
      await until(() => rs.filter((r) => r.answered).length >= 16, 5_000);
      const cut = rs.filter((r) => r.answered);
      expect(cut.length).toBeGreaterThanOrEqual(16);
      for (const r of cut) {
        const res = await r.response(5_000);
        expect(res.status).toBe(401);
        expect(res.headers.connection?.toLowerCase()).toBe('close');
      }
      // The rest of each body let in, in one go: each is read to its end and answered (before: cut once the rate ran dry).
      const drained = rs.filter((r) => !settled(r));
      expect(drained.length).toBeGreaterThanOrEqual(1);
      for (const r of drained) r.send(' '.repeat(MiB - FIRST - 1) + ']');
      for (const r of drained) {
        const res = await r.response(10_000);
        expect(res.status).toBe(401);
        expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('DW_ERR_UNAUTHORIZED');
        expect(await r.closedByServer(2_000)).toBe(true);
      }
    } finally {
      for (const r of rs) r.destroy();
    }
  });
});
