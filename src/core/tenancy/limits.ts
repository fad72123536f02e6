// Per-tenant ingest limits: the largest body or frame, the most events in one batch, and the
// events per second. Each comes from (highest priority first) the tenant's row in
// `tenant_limits`, its plan's columns in `plans`, or the engine's global setting:
//
//   body, batch:  min(global MAX_BODY_BYTES / MAX_BATCH_EVENTS, tenant override ?? plan value)
//                 (the global setting stays the hard ceiling the engine buffers and decodes for)
//   rate:         tenant override ?? plan value, when not 0; else TENANT_EVENTS_PER_SECOND
//
// The engine reads the raw values with the tenant's quota reading (src/core/usage.ts planUsage: one
// query per tenant per QUOTA_REFRESH_MS) and GET /api/v1/limits shows the result and its source.
import type pg from 'pg';

/** Raw values of one level (a plan or a tenant override); null = not set at this level. */
export interface LimitValues {
  maxBodyBytes: number | null;
  maxBatchEvents: number | null;
  eventsPerSecond: number | null;
}

export const NO_LIMITS: Readonly<LimitValues> = Object.freeze({ maxBodyBytes: null, maxBatchEvents: null, eventsPerSecond: null });

export type LimitSource = 'config' | 'plan' | 'tenant';

export interface EffectiveLimit { value: number; source: LimitSource }

export interface EffectiveLimits {
  maxBodyBytes: EffectiveLimit;
  maxBatchEvents: EffectiveLimit;
  /** 0 = unlimited. */
  eventsPerSecond: EffectiveLimit;
}

export interface GlobalLimits { maxBodyBytes: number; maxBatchEvents: number; tenantEventsPerSecond: number }

function pick(plan: number | null, tenant: number | null): { value: number; source: LimitSource } | undefined {
  if (tenant !== null) return { value: tenant, source: 'tenant' };
  if (plan !== null) return { value: plan, source: 'plan' };
  return undefined;
}

function size(global: number, plan: number | null, tenant: number | null): EffectiveLimit {
  const p = pick(plan, tenant);
  return p === undefined || p.value >= global ? { value: global, source: 'config' } : p;
}

/** The effective limits of a tenant from the global config, its plan's values and its overrides. */
export function effectiveLimits(global: GlobalLimits, plan: LimitValues, tenant: LimitValues): EffectiveLimits {
  const rate = pick(plan.eventsPerSecond, tenant.eventsPerSecond);
  return {
    maxBodyBytes: size(global.maxBodyBytes, plan.maxBodyBytes, tenant.maxBodyBytes),
    maxBatchEvents: size(global.maxBatchEvents, plan.maxBatchEvents, tenant.maxBatchEvents),
    eventsPerSecond: rate === undefined || rate.value === 0 ? { value: global.tenantEventsPerSecond, source: 'config' } : rate,
  };
}

const num = (v: string | number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/** LimitValues from a query row with columns named `<prefix>max_body_bytes`, ... (bigint arrives as a string). */
export function limitValues(row: Record<string, unknown> | undefined, prefix: string): LimitValues {
  if (row === undefined) return NO_LIMITS;
  return {
    maxBodyBytes: num(row[`${prefix}max_body_bytes`] as string | null),
    maxBatchEvents: num(row[`${prefix}max_batch_events`] as number | null),
    eventsPerSecond: num(row[`${prefix}events_per_second`] as number | null),
  };
}

export interface TenantLimitsView {
  plan: string;
  plan_limits: LimitValues;
  tenant_limits: LimitValues;
  effective: EffectiveLimits;
}

/** A tenant's plan, its plan's and override values and the effective limits (GET /api/v1/limits). */
export async function readTenantLimits(pool: pg.Pool, global: GlobalLimits, tenantId: string): Promise<TenantLimitsView | undefined> {
  const { rows } = await pool.query<Record<string, unknown> & { plan: string; known: boolean }>(
    `SELECT t.plan, p.id IS NOT NULL AS known,
            p.max_body_bytes AS p_max_body_bytes, p.max_batch_events AS p_max_batch_events, p.events_per_second AS p_events_per_second,
            l.max_body_bytes AS t_max_body_bytes, l.max_batch_events AS t_max_batch_events, l.events_per_second AS t_events_per_second
       FROM tenants t LEFT JOIN plans p ON p.id = t.plan LEFT JOIN tenant_limits l ON l.tenant_id = t.id
      WHERE t.id = $1`, [tenantId]);
  const r = rows[0];
  if (r === undefined) return undefined;
  const plan = r.known ? limitValues(r, 'p_') : NO_LIMITS;
  const tenant = limitValues(r, 't_');
  return { plan: r.plan, plan_limits: plan, tenant_limits: tenant, effective: effectiveLimits(global, plan, tenant) };
}
