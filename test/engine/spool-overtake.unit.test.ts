// A direct write still in flight after fallbackOrderMs is overtaken by the later writes that wait
// for the spool (router.ts #pump): a copy of it is spooled in its place first. If it then falls
// back (DW_ERR_UNAVAILABLE), the copy is replayed there, before the later writes; if it
// commits, the copy is skipped: stored once. After a restart the copy is replayed only if its
// fallback was confirmed (acknowledged from the spool). The sink is a script: every step is an
// awaited promise, no timing (fallbackOrderMs = 0 overtakes at once).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DwError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { spoolOptions } from '../../engine/sinks/spool/config.js';
import { SpooledSink, type Sink, type SinkResult } from '../../engine/sinks/spool/service.js';

interface W { tenantId: string; batchKey?: string; n: number }

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

const down = (): Promise<SinkResult> => Promise.reject(new DwError('DW_ERR_UNAVAILABLE', 'storage failed'));
const ok = (): Promise<SinkResult> => Promise.resolve({ duplicate: false, rows: 1 });

/** A sink whose answers the test scripts: `behave` answers each call; `hold()` makes the next call wait for the test. */
class ScriptedSink implements Sink<W> {
  readonly calls: number[] = [];
  behave: (w: W) => Promise<SinkResult> = ok;
  write(w: W): Promise<SinkResult> {
    this.calls.push(w.n);
    return this.behave(w);
  }
}

interface Held { resolve: (r: SinkResult) => void; reject: (err: unknown) => void }

async function open(dir: string, sink: ScriptedSink, replayed: number[], onReplayed?: () => void): Promise<SpooledSink<W, number>> {
  return SpooledSink.open<W, number>(sink, silentLogger, spoolOptions({ dir, maxBytes: 1 << 20, syncMs: 0, fallbackOrderMs: 0 }), {
    rowsOf: () => 1,
    onReplayed: (_w, n, r) => { if (!r.duplicate) replayed.push(n); onReplayed?.(); },
  });
}

/**
 * A spool on `dir` (a fresh directory by default) with a new scripted sink; `replayedAll`
 * settles once `want` writes were replayed (in `replayed`, in replay order).
 */
async function start(want: number, dir?: string): Promise<{ dir: string; sink: ScriptedSink; replayed: number[]; replayedAll: Promise<void>; spool: SpooledSink<W, number> }> {
  const d = dir ?? await mkdtemp(join(tmpdir(), 'dw-spool-overtake-'));
  if (dir === undefined) dirs.push(d);
  const sink = new ScriptedSink();
  const replayed: number[] = [];
  let done!: () => void;
  const replayedAll = new Promise<void>((r) => { done = r; });
  const spool = await open(d, sink, replayed, () => { if (replayed.length === want) done(); });
  return { dir: d, sink, replayed, replayedAll, spool };
}

/**
 * Write 0 goes to the sink and stays in flight; write 1 is refused (unavailable): the spool
 * engages and write 1 overtakes write 0; write 2 is spooled behind it. Returns write 0's
 * promise and the handle on its sink call.
 */
async function overtake(spool: SpooledSink<W, number>, sink: ScriptedSink, key: (n: number) => string | undefined): Promise<{ first: Promise<unknown>; held: Held }> {
  let held: Held | undefined;
  sink.behave = (w) => (w.n === 0 ? new Promise<SinkResult>((resolve, reject) => { held = { resolve, reject }; }) : down());
  const w = (n: number): W => ({ tenantId: 't', n, ...(key(n) === undefined ? {} : { batchKey: key(n) }) });
  const first = spool.write(w(0), 0);
  first.catch(() => {});
  expect(await spool.write(w(1), 1)).toMatchObject({ spooled: true });
  expect(await spool.write(w(2), 2)).toMatchObject({ spooled: true });
  expect(spool.stats.spooling).toBe(true);
  return { first, held: held! };
}

const noKey = (): undefined => undefined;
const clientKey = (n: number): string => `k${n}`;

describe('spool: a direct write overtaken by later spooled writes', () => {
  it.each([['without', noKey], ['with', clientKey]] as const)('falls back into its place, before the later writes (%s a client key)', async (_what, key) => {
    const { sink, replayed, replayedAll, spool } = await start(3);
    try {
      const { first, held } = await overtake(spool, sink, key);
      sink.behave = ok;
      held.reject(new DwError('DW_ERR_UNAVAILABLE', 'storage failed'));
      expect(await first).toMatchObject({ spooled: true });
      await replayedAll;
      expect(replayed).toEqual([0, 1, 2]);
      // Write 0: its direct attempt, then its replay (once).
      expect(sink.calls.filter((n) => n === 0)).toEqual([0, 0]);
    } finally {
      await spool.close(10_000);
    }
    expect(spool.stats).toMatchObject({ spooling: false, batches: 0, bytes: 0, replayed: 3, replayedDuplicates: 0, copies: 1, copiesSkipped: 0 });
  });

  it('is stored once when its direct write commits after all: the copy in its place is skipped', async () => {
    const { sink, replayed, replayedAll, spool } = await start(2);
    try {
      const { first, held } = await overtake(spool, sink, noKey);
      sink.behave = ok;
      held.resolve({ duplicate: false, rows: 1 });
      expect(await first).toMatchObject({ spooled: false });
      await replayedAll;
      expect(replayed).toEqual([1, 2]);
      expect(sink.calls.filter((n) => n === 0)).toEqual([0]);
    } finally {
      await spool.close(10_000);
    }
    expect(spool.stats).toMatchObject({ spooling: false, batches: 0, bytes: 0, replayed: 2, replayedDuplicates: 0, copies: 1, copiesSkipped: 1 });
  });

  it('after a restart: replayed in its place when its fallback was acknowledged, skipped when it was not', async () => {
    for (const fellBack of [true, false]) {
      const { dir, sink, spool } = await start(Infinity);
      const { first, held } = await overtake(spool, sink, noKey);
      sink.behave = down; // storage stays down: nothing is replayed before the "crash"
      if (fellBack) {
        held.reject(new DwError('DW_ERR_UNAVAILABLE', 'storage failed'));
        expect(await first).toMatchObject({ spooled: true });
      }
      await spool.close(0);
      // Not fallen back: the process stopped with write 0 in flight (unacknowledged; it may have committed).
      if (!fellBack) held.resolve({ duplicate: false, rows: 1 });

      const { sink: again, replayed, replayedAll, spool: reopened } = await start(fellBack ? 3 : 2, dir);
      try {
        await replayedAll;
        expect(replayed).toEqual(fellBack ? [0, 1, 2] : [1, 2]);
        expect(again.calls).toEqual(fellBack ? [0, 1, 2] : [1, 2]);
      } finally {
        await reopened.close(10_000);
      }
      // recovered: the copy, writes 1 and 2, and the confirmation when there is one.
      expect(reopened.stats).toMatchObject({ spooling: false, batches: 0, bytes: 0, recovered: fellBack ? 4 : 3, copiesSkipped: fellBack ? 0 : 1 });
    }
  });
});
