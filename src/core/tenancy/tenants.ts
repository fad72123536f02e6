// Tenants (organisations): every user, key, event and anomaly belongs to one.
import type pg from 'pg';

export interface Tenant { id: string; name: string; slug: string; plan: string }

export function slugify(name: string): string {
  const s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s === '' ? 'tenant' : s;
}

/** Creates a tenant with a unique slug derived from its name (`acme`, `acme-2`, ...). */
export async function createTenant(db: pg.Pool | pg.PoolClient, name: string, plan = 'free'): Promise<Tenant> {
  const base = slugify(name);
  for (let n = 1; n < 1000; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    const { rows } = await db.query<Tenant>(
      `INSERT INTO tenants (name, slug, plan) VALUES ($1, $2, $3)
       ON CONFLICT (slug) DO NOTHING RETURNING id, name, slug, plan`,
      [name, slug, plan],
    );
    if (rows.length === 1) return rows[0];
  }
  throw new Error(`could not find a free slug for tenant ${JSON.stringify(name)}`);
}
