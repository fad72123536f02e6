// The detect role's checkpoints (issue 15): a partition's detector states and the JetStream
// sequence they cover, in one transaction.
//
//   checkpoint(p, seq, states) ─► BEGIN ─► detector_states upsert (sinks/postgres/state.ts)
//     ─► cluster_offsets(p) = seq, only if seq ≥ the stored one ─► COMMIT, or ROLLBACK and false
//        (a later holder already checkpointed past it: its states stay)
//   offset(p) ─► the sequence to resume after (0: from the start)
import type pg from 'pg';
import type { DetectorStates, StateRow } from '../sinks/postgres/state.js';

export async function loadOffset(pool: pg.Pool, partition: number): Promise<number> {
  const r = await pool.query<{ seq: string }>('SELECT seq FROM cluster_offsets WHERE partition = $1', [partition]);
  return r.rows.length === 0 ? 0 : Number(r.rows[0].seq);
}

/** Saves the states and the sequence they cover; false when a checkpoint past `seq` is stored already. */
export async function checkpoint(pool: pg.Pool, states: DetectorStates, partition: number, seq: number, rows: readonly StateRow[]): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const moved = await client.query(
      `INSERT INTO cluster_offsets AS o (partition, seq) VALUES ($1, $2)
       ON CONFLICT (partition) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now() WHERE o.seq <= EXCLUDED.seq`, [partition, seq]);
    if (moved.rowCount !== 1) {
      await client.query('ROLLBACK');
      return false;
    }
    await states.save(rows, client);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
