// bench only (never the engine's default): a piscina score task that does everything but detect.
// `ingest.bench.ts --detector noop` starts the engine with it (startEngine's workerFilename) to
// measure the pipeline's own ceiling: decode, store, batching, the pool, the task's transfer and
// its decode in the worker; the detector's cost is left out. It reads the task as
// workers/score.ts does (the columns' texts decoded and cut), hands the state back unchanged
// (a fresh empty one for a new stream) and finds nothing.
import type { ScoreResult, ScoreTask } from '../workers/types.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export default function score(task: ScoreTask): ScoreResult {
  const cols = task.columns;
  let n = 0;
  if (cols === undefined) n = (JSON.parse(decoder.decode(task.events)) as unknown[]).length;
  else {
    n = cols.ts.length;
    if (cols.ends !== undefined) {
      const all = decoder.decode(task.events);
      let from = 0;
      let chars = 0;
      for (let i = 0; i < n; i++) { chars += all.slice(from, cols.ends[i]).length; from = cols.ends[i]; }
      if (chars !== all.length) return { ok: false, code: 'DW_ERR_DETECTOR', message: 'columns do not cover the text' };
    }
    if (cols.meta !== undefined) JSON.parse(decoder.decode(cols.meta));
  }
  return { ok: true, state: task.state ?? new Uint8Array(0), findings: [], scored: n, sessionState: task.sessionState ?? null };
}
