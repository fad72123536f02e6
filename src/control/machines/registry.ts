// The machine registry: one row per tenant in `machines` (PostgreSQL), kept in step with the
// provider (local processes or Fly.io Machines) and with the route sink (subdomain → address).
//
//   start(tenant) ─▶ claim the row (INSERT … ON CONFLICT (tenant_id) DO UPDATE … WHERE state is
//        │            stopped|crashed RETURNING: of N concurrent starts exactly one claims it)
//        ├─ claimed ─▶ provider.ensure (create or adopt by name) ─▶ waitFor started ─▶ GET /health
//        │               ─▶ state running ─▶ routes.upsert(slug, address, id)
//        │               (failure ─▶ crashed, failures+1, next_attempt_at = now + backoff)
//        └─ not claimed ─▶ wait for the start in flight (this process), or poll the row
//
//   health loop (every vmHealthIntervalMs)
//        running   ─ provider.get + GET /health ─ bad ─▶ crashed (routes.remove, audit vm.crash)
//        starting  ─ older than vmStartTimeoutMs and not ours in flight ─▶ crashed (wedged)
//        crashed   ─ next_attempt_at passed ─▶ claim ─▶ stop the old machine ─▶ start again (audit vm.recover)
//        stopped but desired running (control API was shut down) ─▶ start again
//        desired stopped, but the provider refused the stop (last_error stop: …) ─▶ stop again
//
// Backoff: min(vmRecoveryBackoffMs × 2^failures, vmRecoveryBackoffMaxMs); failures resets once
// a machine has been healthy for vmRecoveryBackoffMaxMs.
import type pg from 'pg';
import type { AuditLog } from '../../core/audit.js';
import { DwError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { machineName, ProviderError, sleep, type MachineProvider, type ProviderMachine } from './provider.js';

/** Where the registry publishes routes (the routing table; subdomain = tenant slug). */
export interface RouteSink {
  upsert(subdomain: string, address: string, machineId: string): Promise<void>;
  remove(subdomain: string): Promise<void>;
}

export type MachineState = 'starting' | 'running' | 'stopped' | 'crashed';

export interface MachineRow {
  id: string;
  tenant_id: string;
  provider: 'local' | 'fly';
  provider_machine_id: string | null;
  name: string;
  state: MachineState;
  desired_state: 'running' | 'stopped';
  address: string | null;
  region: string | null;
  failures: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  started_at: Date | null;
  last_healthy_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const MACHINE_COLUMNS = 'id, tenant_id, provider, provider_machine_id, name, state, desired_state, address, region, failures, next_attempt_at, last_error, started_at, last_healthy_at, created_at, updated_at';
const COLS_M = MACHINE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ');

export interface RegistryOptions {
  pool: pg.Pool;
  provider: MachineProvider;
  log: Logger;
  audit?: AuditLog;
  routes?: RouteSink;
  healthIntervalMs: number;
  startTimeoutMs: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** GET /health timeout (default 2 s). */
  healthTimeoutMs?: number;
}

export interface StartResult { machine: MachineRow; claimed: boolean }

/** Machines checked at once by the health loop. */
const CHECK_CONCURRENCY = 16;

const errText = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 1000);

export class MachineRegistry {
  readonly provider: MachineProvider;
  #o: RegistryOptions;
  #log: Logger;
  #inflight = new Map<string, Promise<MachineRow>>();
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #closed = false;
  readonly stats = { checks: 0, crashes: 0, recoveries: 0, recoveryFailures: 0, routeErrors: 0 };

  constructor(opts: RegistryOptions) {
    this.#o = opts;
    this.provider = opts.provider;
    this.#log = opts.log.child({ component: 'machines' });
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────

  async list(tenantId: string): Promise<MachineRow[]> {
    const { rows } = await this.#o.pool.query<MachineRow>(
      `SELECT ${MACHINE_COLUMNS} FROM machines WHERE tenant_id = $1 ORDER BY created_at`, [tenantId]);
    return rows;
  }

  async get(tenantId: string, id: string): Promise<MachineRow | null> {
    const { rows } = await this.#o.pool.query<MachineRow>(
      `SELECT ${MACHINE_COLUMNS} FROM machines WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0] ?? null;
  }

  async forTenant(tenantId: string): Promise<MachineRow | null> {
    const { rows } = await this.#o.pool.query<MachineRow>(
      `SELECT ${MACHINE_COLUMNS} FROM machines WHERE tenant_id = $1`, [tenantId]);
    return rows[0] ?? null;
  }

  // ── start / stop ───────────────────────────────────────────────────────────────────────

  /**
   * Starts the tenant's engine unless it is starting or running. With wait, resolves once it
   * is running (or still starting after vmStartTimeoutMs, elsewhere); a failed start throws
   * DW_ERR_VM_PROVIDER and leaves the row crashed (the health loop retries it).
   */
  async start(tenantId: string, opts: { wait?: boolean } = {}): Promise<StartResult> {
    if (this.#closed) throw new DwError('DW_ERR_SHUTTING_DOWN');
    const { rows: tenants } = await this.#o.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [tenantId]);
    if (tenants.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'tenant');
    const slug = tenants[0].slug;
    const kind = this.provider.kind;
    // One statement claims the row: inserted, or moved from stopped/crashed to starting. A
    // concurrent start finds it starting (the row lock orders them) and claims nothing.
    const { rows: claimed } = await this.#o.pool.query<MachineRow>(
      `INSERT INTO machines AS m (tenant_id, provider, name, state, desired_state)
       VALUES ($1, $2, $3, 'starting', 'running')
       ON CONFLICT (tenant_id) DO UPDATE SET
         state = 'starting', desired_state = 'running', next_attempt_at = NULL, last_error = NULL, updated_at = now(),
         provider = EXCLUDED.provider,
         provider_machine_id = CASE WHEN m.provider = EXCLUDED.provider THEN m.provider_machine_id END
       WHERE m.state IN ('stopped', 'crashed')
       RETURNING ${COLS_M}`, [tenantId, kind, machineName(tenantId)]);
    if (claimed.length === 1) {
      const op = this.#bringUp(claimed[0], slug, false);
      if (opts.wait === false) { op.catch(() => undefined); return { machine: claimed[0], claimed: true }; }
      return { machine: await op, claimed: true };
    }
    // Someone else's start (or it is running): make sure it stays wanted, then join it.
    const { rows } = await this.#o.pool.query<MachineRow>(
      `UPDATE machines SET desired_state = 'running', updated_at = updated_at WHERE tenant_id = $1 RETURNING ${MACHINE_COLUMNS}`, [tenantId]);
    const cur = rows[0];
    if (opts.wait === false || cur.state !== 'starting') return { machine: cur, claimed: false };
    const mine = this.#inflight.get(tenantId);
    if (mine !== undefined) return { machine: await mine, claimed: false };
    return { machine: await this.#pollWhileStarting(tenantId), claimed: false };
  }

  async #pollWhileStarting(tenantId: string): Promise<MachineRow> {
    const deadline = Date.now() + this.#o.startTimeoutMs;
    for (;;) {
      const row = await this.forTenant(tenantId);
      if (row === null) throw new DwError('DW_ERR_NOT_FOUND', 'machine');
      if (row.state !== 'starting' || Date.now() > deadline) return row;
      await sleep(200);
    }
  }

  /** Stops the tenant's engine and keeps it stopped (desired_state stopped). Null when it has none. */
  async stop(tenantId: string): Promise<MachineRow | null> {
    const { rows } = await this.#o.pool.query<MachineRow & { slug: string }>(
      `UPDATE machines m SET state = 'stopped', desired_state = 'stopped', next_attempt_at = NULL, updated_at = now()
       FROM tenants t WHERE m.tenant_id = $1 AND t.id = m.tenant_id
       RETURNING ${COLS_M}, t.slug`, [tenantId]);
    if (rows.length === 0) return null;
    const { slug, ...row } = rows[0];
    // A start in flight sees the row stopped when it finishes, and stops what it started.
    await this.#inflight.get(tenantId)?.catch(() => undefined);
    await this.#routeRemove(slug);
    if (row.provider_machine_id !== null && row.provider === this.provider.kind) {
      try {
        await this.provider.stop(row.provider_machine_id);
      } catch (err) {
        this.#log.warn({ err, tenantId }, 'MachineStopError');
        await this.#o.pool.query('UPDATE machines SET last_error = $2 WHERE id = $1', [row.id, `stop: ${errText(err)}`]);
        throw new DwError('DW_ERR_VM_PROVIDER', errText(err));
      }
    }
    return (await this.forTenant(tenantId)) ?? row;
  }

  /**
   * Provider side of a claimed start (the row is `starting`): create or adopt, wait until the
   * engine answers, then mark running and publish the route; on failure mark crashed.
   */
  #bringUp(row: MachineRow, slug: string, recovery: boolean): Promise<MachineRow> {
    const op = (async (): Promise<MachineRow> => {
      const spec = { tenantId: row.tenant_id, slug, name: row.name };
      let pm: ProviderMachine | undefined;
      try {
        if (recovery && row.provider_machine_id !== null) {
          // A crashed or wedged machine is stopped first, so that ensure() starts it afresh.
          await this.provider.stop(row.provider_machine_id).catch((err: unknown) => this.#log.warn({ err, tenantId: row.tenant_id }, 'MachineRecoveryStopError'));
        }
        pm = await this.provider.ensure(spec);
        await this.#o.pool.query(
          `UPDATE machines SET provider_machine_id = $2, region = $3, address = $4, updated_at = now() WHERE id = $1 AND state = 'starting'`,
          [row.id, pm.id, pm.region, pm.address]);
        const ready = await this.provider.waitFor(pm.id, 'started', this.#o.startTimeoutMs);
        await this.#waitHealthy(ready);
        const { rows } = await this.#o.pool.query<MachineRow>(
          `UPDATE machines SET state = 'running', provider_machine_id = $2, region = $3, address = $4, started_at = now(),
             last_healthy_at = now(), last_error = NULL, next_attempt_at = NULL, updated_at = now()
           WHERE id = $1 AND state = 'starting' RETURNING ${MACHINE_COLUMNS}`, [row.id, ready.id, ready.region, ready.address]);
        if (rows.length === 0) {
          // Stopped while it was starting: stop what we started.
          await this.provider.stop(ready.id).catch(() => undefined);
          return (await this.get(row.tenant_id, row.id)) ?? row;
        }
        await this.#routeUpsert(slug, ready.address!, row.id);
        this.#log.info({ tenantId: row.tenant_id, machine: row.id, address: ready.address, recovery }, 'MachineRunning');
        return rows[0];
      } catch (err) {
        const reason = `start: ${errText(err)}`;
        this.#log.warn({ err, tenantId: row.tenant_id, machine: row.id }, 'MachineStartError');
        const crashed = await this.#markCrashed(row.id, 'starting', reason);
        if (pm !== undefined && crashed === null) await this.provider.stop(pm.id).catch(() => undefined);
        throw err instanceof DwError ? err : new DwError('DW_ERR_VM_PROVIDER', errText(err));
      }
    })();
    this.#inflight.set(row.tenant_id, op);
    const forget = (): void => { if (this.#inflight.get(row.tenant_id) === op) this.#inflight.delete(row.tenant_id); };
    op.then(forget, forget);
    return op;
  }

  async #waitHealthy(pm: ProviderMachine): Promise<void> {
    const deadline = Date.now() + this.#o.startTimeoutMs;
    const timeout = this.#o.healthTimeoutMs ?? 2_000;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      if (await this.provider.healthy(pm, timeout)) return;
      if (Date.now() > deadline) throw new ProviderError(`the engine at ${pm.address} did not answer GET /health within ${this.#o.startTimeoutMs} ms`);
      await sleep(delay);
    }
  }

  /** Moves a row from `from` to crashed with the next attempt after the backoff; null if it was not in `from`. */
  async #markCrashed(id: string, from: MachineState, reason: string): Promise<MachineRow | null> {
    const { rows } = await this.#o.pool.query<MachineRow>(
      `UPDATE machines SET state = 'crashed', failures = failures + 1, last_error = $3, updated_at = now(),
         next_attempt_at = now() + least($4::float8 * power(2, least(failures, 30)), $5::float8) * interval '1 millisecond'
       WHERE id = $1 AND state = $2 RETURNING ${MACHINE_COLUMNS}`,
      [id, from, reason, this.#o.backoffMs, this.#o.backoffMaxMs]);
    return rows[0] ?? null;
  }

  // ── health loop ────────────────────────────────────────────────────────────────────────

  /** Starts the periodic check (the first one at once). */
  startHealthLoop(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const tick = (): void => {
      this.#checking = this.checkOnce().catch((err: unknown) => { this.#log.error({ err }, 'MachineHealthCheckError'); });
      void this.#checking.then(() => {
        if (!this.#closed) this.#timer = setTimeout(tick, this.#o.healthIntervalMs).unref();
      });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** One pass over this provider's machines: health, wedged starts, recoveries. */
  async checkOnce(): Promise<void> {
    this.stats.checks++;
    const { rows } = await this.#o.pool.query<MachineRow & { slug: string; due: boolean; stale: boolean }>(
      `SELECT ${COLS_M}, t.slug,
         (m.next_attempt_at IS NULL OR m.next_attempt_at <= now()) AS due,
         (m.updated_at < now() - $2::float8 * interval '1 millisecond') AS stale
       FROM machines m JOIN tenants t ON t.id = m.tenant_id
       WHERE m.provider = $1 AND (m.desired_state = 'running' OR m.last_error LIKE 'stop:%')`, [this.provider.kind, this.#o.startTimeoutMs]);
    // A bounded number of machines at a time (each check is a provider call and a GET /health).
    for (let i = 0; i < rows.length; i += CHECK_CONCURRENCY) {
      await Promise.all(rows.slice(i, i + CHECK_CONCURRENCY).map((r) => this.#checkRow(r).catch((err: unknown) => {
        this.#log.error({ err, tenantId: r.tenant_id, machine: r.id }, 'MachineHealthCheckError');
      })));
    }
  }

  async #checkRow(r: MachineRow & { slug: string; due: boolean; stale: boolean }): Promise<void> {
    if (this.#closed) return;
    if (r.desired_state === 'stopped') {
      // A stop the provider refused (DELETE /vm/stop answered 502): try again until it is done.
      if (r.provider_machine_id !== null) await this.provider.stop(r.provider_machine_id);
      await this.#o.pool.query(
        `UPDATE machines SET last_error = NULL WHERE id = $1 AND desired_state = 'stopped' AND last_error = $2`, [r.id, r.last_error]);
      this.#log.info({ tenantId: r.tenant_id, machine: r.id }, 'MachineStopRetried');
      return;
    }
    switch (r.state) {
      case 'running': {
        const pm = r.provider_machine_id === null ? null : await this.provider.get(r.provider_machine_id);
        let problem: string | null = null;
        if (pm === null || pm.state === 'destroyed') problem = 'the machine is gone';
        else if (pm.state !== 'started') problem = `the machine is ${pm.state}`;
        else if (!(await this.provider.healthy(pm.address === null ? { ...pm, address: r.address } : pm, this.#o.healthTimeoutMs ?? 2_000))) problem = 'GET /health failed';
        if (problem === null) {
          await this.#o.pool.query(
            `UPDATE machines SET last_healthy_at = now(),
               failures = CASE WHEN started_at < now() - $2::float8 * interval '1 millisecond' THEN 0 ELSE failures END
             WHERE id = $1 AND state = 'running'`, [r.id, this.#o.backoffMaxMs]);
          return;
        }
        const crashed = await this.#markCrashed(r.id, 'running', `health: ${problem}`);
        if (crashed !== null) await this.#onCrash(crashed, r.slug, problem);
        return;
      }
      case 'starting':
        if (r.stale && !this.#inflight.has(r.tenant_id)) {
          const problem = `wedged: still starting after ${this.#o.startTimeoutMs} ms`;
          const crashed = await this.#markCrashed(r.id, 'starting', problem);
          if (crashed !== null) await this.#onCrash(crashed, r.slug, problem);
        }
        return;
      case 'crashed':
      case 'stopped':
        if (r.due) await this.#recover(r, r.slug);
        return;
    }
  }

  async #onCrash(row: MachineRow, slug: string, problem: string): Promise<void> {
    this.stats.crashes++;
    this.#log.warn({ tenantId: row.tenant_id, machine: row.id, problem, failures: row.failures, nextAttemptAt: row.next_attempt_at }, 'MachineCrashed');
    await this.#routeRemove(slug);
    await this.#o.audit?.record({
      tenantId: row.tenant_id, actorUserId: null, actorKind: 'system', action: 'vm.crash', target: `machine:${row.id}`, ip: null,
      details: { problem, failures: row.failures, next_attempt_at: row.next_attempt_at?.toISOString() ?? null },
    });
  }

  async #recover(r: MachineRow, slug: string): Promise<void> {
    const { rows } = await this.#o.pool.query<MachineRow>(
      `UPDATE machines SET state = 'starting', updated_at = now()
       WHERE id = $1 AND state IN ('crashed', 'stopped') AND desired_state = 'running'
         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
       RETURNING ${MACHINE_COLUMNS}`, [r.id]);
    if (rows.length === 0) return; // another instance took it, or it was stopped meanwhile
    const row = rows[0];
    let ok = true;
    let error: string | undefined;
    try {
      await this.#bringUp(row, slug, true);
      this.stats.recoveries++;
    } catch (err) {
      ok = false;
      error = errText(err);
      this.stats.recoveryFailures++;
    }
    await this.#o.audit?.record({
      tenantId: row.tenant_id, actorUserId: null, actorKind: 'system', action: 'vm.recover', target: `machine:${row.id}`, ip: null,
      details: { ok, from: r.state, failures: row.failures, ...(error !== undefined ? { error } : {}) },
    });
  }

  // ── routes ─────────────────────────────────────────────────────────────────────────────

  async #routeUpsert(slug: string, address: string, id: string): Promise<void> {
    try { await this.#o.routes?.upsert(slug, address, id); } catch (err) {
      this.stats.routeErrors++;
      this.#log.error({ err, slug }, 'MachineRouteUpsertError');
    }
  }

  async #routeRemove(slug: string): Promise<void> {
    try { await this.#o.routes?.remove(slug); } catch (err) {
      this.stats.routeErrors++;
      this.#log.error({ err, slug }, 'MachineRouteRemoveError');
    }
  }

  // ── shutdown ───────────────────────────────────────────────────────────────────────────

  /**
   * Stops the health loop and waits for the work in flight. The local driver's engines are
   * children of this process: they are stopped, their rows marked stopped (desired_state stays
   * running, so the next start of the control API brings them back) and their routes removed.
   * Fly machines run on without us.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#checking;
    await Promise.allSettled([...this.#inflight.values()]);
    if (this.provider.kind === 'local') {
      const { rows } = await this.#o.pool.query<{ slug: string }>(
        `UPDATE machines m SET state = 'stopped', last_error = 'the control API shut down', updated_at = now()
         FROM tenants t WHERE t.id = m.tenant_id AND m.provider = 'local' AND m.state IN ('starting', 'running')
         RETURNING t.slug`).catch((err: unknown) => { this.#log.error({ err }, 'MachineShutdownUpdateError'); return { rows: [] }; });
      for (const r of rows) await this.#routeRemove(r.slug);
    }
    await this.provider.close();
  }
}
