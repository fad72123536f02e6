// The connection fails after COMMIT was sent: did the transaction commit? The sink inserts one
// ingest_commits marker per transaction and looks it up on a fresh connection (commitOutcome).
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockLines } from '../../engine/sinks/postgres/blocks.js';
import { commitOutcome } from '../../engine/sinks/postgres/service.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { createPool } from '../../src/core/db.js';
import type { TestDatabase } from '../helpers/db.js';
import { storedEvents } from '../helpers/events.js';
import { freePort, waitFor } from '../helpers/net.js';
import { blockSink, sinkDatabase } from '../helpers/sink.js';

const sd = sinkDatabase('Commit');
let db: TestDatabase;
let tenant: string;
beforeAll(() => { ({ db, tenants: [tenant] } = sd); });

const connect = async (): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: db.url });
  c.on('error', () => {});
  await c.connect();
  return c;
};
const pidOf = (c: pg.Client): number => (c as unknown as { processID: number }).processID;
const terminate = (pid: number): Promise<unknown> => db.pool.query('SELECT pg_terminate_backend($1)', [pid]);

describe('commitOutcome (real PostgreSQL)', () => {
  it('committed when the marker is stored, not_committed when it is absent', async () => {
    const id = crypto.randomUUID();
    await db.pool.query('INSERT INTO ingest_commits (id) VALUES ($1)', [id]);
    expect(await commitOutcome(db.pool, id, undefined)).toBe('committed');
    expect(await commitOutcome(db.pool, crypto.randomUUID(), undefined)).toBe('not_committed');
  });

  it('waits for a backend still inside the transaction: terminated ─► not_committed, committed ─► committed', async () => {
    for (const end of ['terminate', 'commit'] as const) {
      const c = await connect();
      const id = crypto.randomUUID();
      await c.query('BEGIN');
      await c.query('INSERT INTO ingest_commits (id) VALUES ($1)', [id]);
      const outcome = commitOutcome(db.pool, id, pidOf(c));
      await new Promise((r) => setTimeout(r, 150)); // kept: the outcome must still be undecided while the transaction stays open
      if (end === 'terminate') await terminate(pidOf(c));
      else await c.query('COMMIT');
      expect(await outcome).toBe(end === 'terminate' ? 'not_committed' : 'committed');
      await c.end().catch(() => {});
    }
  });

  it('unknown when the old backend does not settle in time, or PostgreSQL cannot be asked', async () => {
    const c = await connect();
    await c.query('BEGIN');
    expect(await commitOutcome(db.pool, crypto.randomUUID(), pidOf(c), 200)).toBe('unknown');
    await c.query('ROLLBACK');
    await c.end();
    const down = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, 1);
    expect(await commitOutcome(down, crypto.randomUUID(), undefined)).toBe('unknown');
    await down.end();
  });
});

describe('CopySink: backend terminated while COMMIT runs', () => {
  it('learns that the transaction did not commit, retries it, and stores the write once', async () => {
    // A deferred constraint trigger runs inside COMMIT: the first one sleeps, so the test can
    // terminate the backend after COMMIT was sent and before it completed.
    await db.pool.query(`
      CREATE SEQUENCE commit_once;
      CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('commit_once') = 1 THEN PERFORM pg_sleep(30); END IF; RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON ingest_commits
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`);
    try {
      const sink = blockSink(db.pool, { flushIntervalMs: 5, maxPendingRows: 10_000, maxConcurrentFlushes: 1 });
      const records = validateEvents([0, 1, 2].map((i) => ({ timestamp: i, stream_type: 'logs', stream: 'ambiguous', data: `e${i}` })), { maxBatchEvents: 10, maxEventBytes: 1000 });
      const block = blockLines(tenant, records, 'ws:amb:0');
      const write = sink.write({ tenantId: tenant, lines: block.lines, rows: 3, bytes: 1, batchKey: 'ws:amb:0', fingerprint: block.fingerprint });
      const pid = await waitFor(async () => {
        const r = await db.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND query = 'COMMIT'`);
        return r.rows[0]?.pid;
      }, 10_000, 'the sink inside COMMIT');
      await terminate(pid);
      await expect(write).resolves.toEqual({ duplicate: false, rows: 3 });
      expect(sink.stats.ambiguousCommits).toBe(1);
      expect((await storedEvents(db.pool, { stream: 'ambiguous' })).map((e) => e.data)).toEqual(['e0', 'e1', 'e2']);
      await sink.close();
    } finally {
      await db.pool.query('DROP TRIGGER slow_commit ON ingest_commits; DROP FUNCTION slow_commit(); DROP SEQUENCE commit_once;');
    }
  });
});

describe('CopySink: the answer to COMMIT is lost after PostgreSQL committed', () => {
  it('finds the marker and resolves the write as stored (not 503), stored once', async () => {
    // A TCP proxy between the sink's pool and PostgreSQL that can swallow the next answer and cut the connection.
    const target = new URL(db.url);
    let cutNext = false;
    const proxy = createServer((client: Socket) => {
      const server = tcpConnect(Number(target.port || 5432), target.hostname);
      client.on('error', () => {});
      server.on('error', () => {});
      client.pipe(server);
      server.on('data', (chunk: Buffer) => {
        if (cutNext) {
          cutNext = false;
          client.destroy();
          server.destroy();
          return;
        }
        client.write(chunk);
      });
      server.on('close', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    const pool = createPool(viaProxy.toString(), 4);
    // The first COMMIT waits for an advisory lock the test holds (a deferred trigger runs inside COMMIT).
    const holder = await connect();
    await holder.query('SELECT pg_advisory_lock(4242)');
    await db.pool.query(`
      CREATE SEQUENCE commit_gate;
      CREATE FUNCTION gated_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('commit_gate') = 1 THEN PERFORM pg_advisory_xact_lock(4242); END IF; RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER gated_commit AFTER INSERT ON ingest_commits
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gated_commit();`);
    try {
      const sink = blockSink(pool, { flushIntervalMs: 5, maxPendingRows: 10_000, maxConcurrentFlushes: 1 });
      const records = validateEvents([0, 1].map((i) => ({ timestamp: i, stream_type: 'logs', stream: 'lost-answer', data: `e${i}` })), { maxBatchEvents: 10, maxEventBytes: 1000 });
      const write = sink.write({ tenantId: tenant, lines: blockLines(tenant, records, undefined).lines, rows: 2, bytes: 1 });
      await waitFor(async () => {
        const r = await db.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query = 'COMMIT'`);
        return r.rowCount ? true : undefined;
      }, 10_000, 'the sink inside COMMIT');
      cutNext = true;
      await holder.query('SELECT pg_advisory_unlock(4242)');
      await expect(write).resolves.toEqual({ duplicate: false, rows: 2 });
      expect(sink.stats.ambiguousCommits).toBe(1);
      expect((await storedEvents(db.pool, { stream: 'lost-answer' })).map((e) => e.data)).toEqual(['e0', 'e1']);
      await sink.close();
    } finally {
      await db.pool.query('DROP TRIGGER gated_commit ON ingest_commits; DROP FUNCTION gated_commit(); DROP SEQUENCE commit_gate;');
      await holder.end();
      await pool.end();
      await new Promise((r) => proxy.close(r));
    }
  });
});
