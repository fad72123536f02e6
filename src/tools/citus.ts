// Citus readiness of the schema (docs/scaling.md "PostgreSQL beyond one server"), checked on a
// live database through pg_catalog (test/internals/citus-keys.test.ts). Citus is not installed
// here, so this checks the rules Citus states for distributed tables, not Citus itself:
//
//   docs/scaling.md  ──parsePlacements──►  table → distributed | reference | local
//   pg_catalog       ──checkPlacements──►  violations (empty = the rules hold):
//     every table of the schema has exactly one placement (partitions follow their parent);
//     a distributed table has tenant_id NOT NULL, every primary key, unique constraint,
//       exclusion constraint and unique index starts with tenant_id, and is colocated with the
//       others (one colocate_with anchor);
//     a foreign key between distributed tables maps tenant_id to tenant_id;
//     a foreign key from a distributed table goes to a distributed or reference table only;
//     a reference table's foreign keys go to reference tables only.
import type pg from 'pg';

export type Placement = 'distributed' | 'reference' | 'local';

export interface Placements {
  tables: Map<string, Placement>;
  /** The distributed tables' colocate_with anchor (the first distributed table, named by the others). */
  colocateWith: Map<string, string>;
}

export const DISTRIBUTION_COLUMN = 'tenant_id';

const DISTRIBUTED = /create_distributed_table\('(\w+)',\s*'(\w+)'(?:,\s*colocate_with\s*=>\s*'(\w+)')?\)/g;
const REFERENCE = /create_reference_table\('(\w+)'\)/g;
const LOCAL = /citus_add_local_table_to_metadata\('(\w+)'\)/g;

/** The placements named by the SQL statements of `text` (docs/scaling.md); a table named twice or distributed by another column throws. */
export function parsePlacements(text: string): Placements {
  const tables = new Map<string, Placement>();
  const colocateWith = new Map<string, string>();
  const put = (t: string, p: Placement): void => {
    if (tables.has(t)) throw new Error(`${t} is placed twice`);
    tables.set(t, p);
  };
  for (const m of text.matchAll(DISTRIBUTED)) {
    if (m[2] !== DISTRIBUTION_COLUMN) throw new Error(`${m[1]} is distributed by ${m[2]}, not ${DISTRIBUTION_COLUMN}`);
    put(m[1], 'distributed');
    colocateWith.set(m[1], m[3] ?? m[1]);
  }
  for (const m of text.matchAll(REFERENCE)) put(m[1], 'reference');
  for (const m of text.matchAll(LOCAL)) put(m[1], 'local');
  return { tables, colocateWith };
}

interface TableRow { name: string; has_tenant: boolean; tenant_not_null: boolean }
interface KeyRow { table: string; name: string; kind: string; columns: (string | null)[] }
interface FkRow { table: string; name: string; ref: string; columns: string[]; ref_columns: string[] }

/** Every rule broken by the tables of `schema` (default public) under `placements`, one line each. */
export async function checkPlacements(db: pg.Pool | pg.PoolClient, placements: Placements, schema = 'public'): Promise<string[]> {
  const out: string[] = [];
  const { rows: tables } = await db.query<TableRow>(
    `SELECT c.relname AS name, a.attnum IS NOT NULL AS has_tenant, coalesce(a.attnotnull, false) AS tenant_not_null
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`, [schema, DISTRIBUTION_COLUMN]);
  const live = new Set(tables.map((t) => t.name));
  for (const t of tables) {
    if (!placements.tables.has(t.name)) out.push(`${t.name}: not placed (distributed, reference or local)`);
  }
  for (const name of placements.tables.keys()) {
    if (!live.has(name)) out.push(`${name}: placed but not in the schema`);
  }
  const place = (t: string): Placement | undefined => placements.tables.get(t);

  const anchors = new Set([...placements.colocateWith.values()]);
  if (anchors.size > 1) out.push(`distributed tables are not all colocated: colocate_with ${[...anchors].sort().join(', ')}`);

  for (const t of tables) {
    if (place(t.name) !== 'distributed') continue;
    if (!t.has_tenant) out.push(`${t.name}: distributed but has no ${DISTRIBUTION_COLUMN} column`);
    else if (!t.tenant_not_null) out.push(`${t.name}: ${DISTRIBUTION_COLUMN} may be null`);
  }

  // Primary keys, unique and exclusion constraints, and unique indexes (a constraint's index
  // is listed once, as the constraint); an expression column is null.
  const { rows: keys } = await db.query<KeyRow>(
    `SELECT c.relname AS table, i.relname AS name,
            coalesce(con.contype::text, 'unique index') AS kind,
            array(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                   WHERE k.n <= x.indnkeyatts ORDER BY k.n) AS columns
       FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x')
      WHERE n.nspname = $1 AND NOT c.relispartition AND (x.indisunique OR con.contype = 'x')
      ORDER BY 1, 2`, [schema]);
  const kindName: Record<string, string> = { p: 'primary key', u: 'unique constraint', x: 'exclusion constraint', 'unique index': 'unique index' };
  for (const k of keys) {
    if (place(k.table) !== 'distributed') continue;
    if (k.columns[0] !== DISTRIBUTION_COLUMN) {
      out.push(`${k.table}: ${kindName[k.kind] ?? k.kind} ${k.name} (${k.columns.map((c) => c ?? '<expression>').join(', ')}) does not start with ${DISTRIBUTION_COLUMN}`);
    }
  }

  const { rows: fks } = await db.query<FkRow>(
    `SELECT c.relname AS table, con.conname AS name, r.relname AS ref,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS ref_columns
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND con.contype = 'f' AND NOT c.relispartition AND con.conparentid = 0
      ORDER BY 1, 2`, [schema]);
  for (const f of fks) {
    const from = place(f.table);
    const to = place(f.ref);
    const what = `${f.table}: foreign key ${f.name} (${f.columns.join(', ')}) → ${f.ref} (${f.ref_columns.join(', ')})`;
    if (from === 'distributed' && to === 'distributed') {
      const i = f.columns.indexOf(DISTRIBUTION_COLUMN);
      if (i < 0 || f.ref_columns[i] !== DISTRIBUTION_COLUMN) out.push(`${what} does not map ${DISTRIBUTION_COLUMN} to ${DISTRIBUTION_COLUMN}`);
    } else if (from === 'distributed' && to !== 'reference') {
      out.push(`${what}: a distributed table may reference distributed or reference tables only (${f.ref} is ${to ?? 'not placed'})`);
    } else if (from === 'reference' && to !== 'reference') {
      out.push(`${what}: a reference table may reference reference tables only (${f.ref} is ${to ?? 'not placed'})`);
    }
  }
  return out;
}

/** A SQL string of the sources that reads or changes a distributed table without naming one tenant. */
export interface UnroutedQuery { file: string; line: number; tables: string[]; sql: string }

const LITERAL = /`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'/g;
const STATEMENT = /\b(SELECT|UPDATE|DELETE)\b/;
/** A table after FROM, JOIN, UPDATE or USING; `${name}` for a table named by a variable. */
const TABLE_REF = /\b(?:FROM|JOIN|UPDATE|USING)\s+(\w+|\$\{\w+\})/gi;
/** tenant_id compared with a parameter: `tenant_id = $1`, `x.tenant_id = ANY($2...)`. */
const TENANT_FILTER = /tenant_id\s*=\s*(?:\$\d|ANY\s*\(\s*\$\d)/;

/**
 * The SQL strings of `files` (path → source) that read, update or delete a distributed table
 * (FROM, JOIN, UPDATE, USING) without comparing tenant_id with a parameter: under Citus they run
 * on every shard (or are refused), so each must be meant to. A string built from a fragment
 * (`${where}`) is listed too, as the fragment is not read. INSERT ... VALUES and COPY route by the
 * rows' tenant_id and are not listed. A table named by a variable (`FROM ${part}`) counts as
 * distributed.
 */
export function unroutedQueries(files: ReadonlyMap<string, string>, distributed: ReadonlySet<string>): UnroutedQuery[] {
  const out: UnroutedQuery[] = [];
  for (const [file, text] of files) {
    for (const m of text.matchAll(LITERAL)) {
      const lit = m[0];
      if (!STATEMENT.test(lit)) continue;
      const tables = [...new Set([...lit.matchAll(TABLE_REF)].map((t) => t[1]).filter((t) => distributed.has(t) || t.startsWith('${')))].sort();
      if (tables.length === 0 || TENANT_FILTER.test(lit)) continue;
      out.push({ file, line: text.slice(0, m.index).split('\n').length, tables, sql: lit.slice(1, -1).replace(/\s+/g, ' ').trim() });
    }
  }
  return out;
}
