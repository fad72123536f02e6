// The layer rules of docs/architecture.md, as a check over the project's own imports. Run by
// test/internals/layers.unit.test.ts (and mirrored by the import rules in eslint.config.js).
//
//   workers/        imports nothing of the project outside workers/
//   engine/         imports src/core/ only (and workers/types.ts)
//   src/core/       imports only src/core/ (and workers/types.ts)
//   src/control/    imports src/core/ and src/control/ (never engine/, src/edge/, src/tools/)
//   src/edge/       imports src/core/ and src/edge/
//   src/system.ts   wires engine, control API and edge: anything but src/tools/
//   src/tools/, bin/, bench/, test/: anything
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export interface LayerViolation {
  file: string;
  imports: string;
  rule: string;
}

interface Rule {
  readonly from: (file: string) => boolean;
  readonly allowed: (target: string) => boolean;
  readonly text: string;
}

const under = (dir: string) => (p: string): boolean => p.startsWith(dir);
const WORKER_TYPES = 'workers/types.ts';
const RULES: readonly Rule[] = [
  { from: under('workers/'), allowed: under('workers/'), text: 'workers/ imports nothing outside workers/' },
  {
    from: under('engine/'),
    allowed: (t) => t.startsWith('engine/') || t.startsWith('src/core/') || t === WORKER_TYPES,
    text: 'the engine imports only src/core/ from src/ (and workers/types.ts)',
  },
  { from: under('src/core/'), allowed: (t) => t.startsWith('src/core/') || t === WORKER_TYPES, text: 'src/core/ imports only src/core/' },
  { from: under('src/control/'), allowed: (t) => t.startsWith('src/core/') || t.startsWith('src/control/'), text: 'src/control/ imports neither engine/ nor src/edge/ nor src/tools/' },
  { from: under('src/edge/'), allowed: (t) => t.startsWith('src/core/') || t.startsWith('src/edge/'), text: 'src/edge/ imports only src/core/' },
  { from: (p) => p === 'src/system.ts', allowed: (t) => !t.startsWith('src/tools/'), text: 'src/system.ts does not import src/tools/' },
];

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Relative import specifiers of one source text. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec !== undefined && spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** Checks files given as project-relative POSIX paths with their text. */
export function checkLayers(files: ReadonlyMap<string, string>): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const [file, text] of files) {
    const rule = RULES.find((r) => r.from(file));
    if (rule === undefined) continue;
    for (const spec of importsOf(text)) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (!rule.allowed(target)) out.push({ file, imports: target, rule: rule.text });
    }
  }
  return out;
}

function walk(dir: string, root: string, acc: Map<string, string>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, acc);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name)) acc.set(relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8'));
  }
}

/** Reads engine/, workers/ and src/ of the project at `root`. */
export function projectSources(root: string): Map<string, string> {
  const acc = new Map<string, string>();
  for (const d of ['engine', 'workers', 'src']) walk(join(root, d), root, acc);
  return acc;
}

