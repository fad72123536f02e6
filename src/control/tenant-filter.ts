// The WHERE clause of a tenant's list query (anomalies, the audit log), with numbered parameters.

/**
 * A tenant-scoped WHERE clause for list routes: `tenant_id = $1` and each optional filter
 * that has a value, with numbered parameters, then the page's LIMIT and OFFSET.
 */
export class TenantFilter {
  readonly params: unknown[];
  readonly #where: string[] = ['tenant_id = $1'];
  readonly #having: string[] = [];

  constructor(tenantId: string) {
    this.params = [tenantId];
  }

  /** Adds `sql` (one `?` stands for the value) when the value is defined. */
  add(sql: string, value: unknown): this {
    if (value !== undefined) {
      this.params.push(value);
      this.#where.push(sql.replace('?', `$${this.params.length}`));
    }
    return this;
  }

  /** As add(), for a condition on the groups of a GROUP BY query (see `havingClause`); `sql` without `?` is added when `value` is true. */
  addHaving(sql: string, value: unknown): this {
    if (value === undefined || value === false) return this;
    if (sql.includes('?')) {
      this.params.push(value);
      this.#having.push(sql.replace('?', `$${this.params.length}`));
    } else this.#having.push(sql);
    return this;
  }

  /** `HAVING …` of the conditions added with addHaving(), or ''. */
  get havingClause(): string {
    return this.#having.length === 0 ? '' : `HAVING ${this.#having.join(' AND ')}`;
  }

  get where(): string {
    return this.#where.join(' AND ');
  }

  /** The filter's parameters followed by the page's, and the LIMIT/OFFSET clause for them. */
  page(limit: number, offset: number): { clause: string; params: unknown[] } {
    const n = this.params.length;
    return { clause: `LIMIT $${n + 1} OFFSET $${n + 2}`, params: [...this.params, limit, offset] };
  }
}
