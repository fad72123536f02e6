// Plans and their quotas. The `plans` table (schema.sql, seeded with these rows) is the source
// of truth at run time; PLANS is the seed and the fallback for a database that predates it.
// tenants.plan names one of them. Billing (Stripe webhooks) moves a tenant between plans; the
// engine enforces events_per_month at ingest and retention_days when it drops old data.
import type pg from 'pg';

export type PlanId = 'free' | 'pro' | 'business';

export interface Plan {
  id: PlanId;
  name: string;
  /** Events a tenant may ingest per calendar month (UTC); null = unlimited. */
  eventsPerMonth: number | null;
  /** Days events and anomalies are kept. */
  retentionDays: number;
}

export const PLANS: Readonly<Record<PlanId, Readonly<Plan>>> = Object.freeze({
  free: Object.freeze({ id: 'free', name: 'Free', eventsPerMonth: 10_000, retentionDays: 7 }),
  pro: Object.freeze({ id: 'pro', name: 'Pro', eventsPerMonth: 100_000, retentionDays: 30 }),
  business: Object.freeze({ id: 'business', name: 'Business', eventsPerMonth: null, retentionDays: 90 }),
} as const);

export const PLAN_IDS: readonly PlanId[] = Object.freeze(['free', 'pro', 'business']);

export function isPlanId(v: unknown): v is PlanId {
  return typeof v === 'string' && (PLAN_IDS as readonly string[]).includes(v);
}

/** Reads the plans table (falls back to PLANS for a row that is missing). */
export async function loadPlans(db: pg.Pool | pg.PoolClient): Promise<Record<PlanId, Plan>> {
  const out: Record<PlanId, Plan> = { free: { ...PLANS.free }, pro: { ...PLANS.pro }, business: { ...PLANS.business } };
  const { rows } = await db.query<{ id: string; name: string; events_per_month: string | null; retention_days: number }>(
    'SELECT id, name, events_per_month, retention_days FROM plans',
  );
  for (const r of rows) {
    if (!isPlanId(r.id)) continue;
    out[r.id] = {
      id: r.id,
      name: r.name,
      eventsPerMonth: r.events_per_month === null ? null : Number(r.events_per_month),
      retentionDays: r.retention_days,
    };
  }
  return out;
}
