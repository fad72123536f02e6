// NAB experiment (not shipped, not a speed benchmark): another detector's row scores, alone and
// combined with the shipped row likelihood, scored in-sample and left out one category at a time.
//
//   --scores NAME=FILE.json …  ({"<category>/<file>.csv": [score per row], …}, rows in file order;
//                               produced by any implementation: this file holds no detector)
//   file ──► shipped detector, calibration map = identity (raw row likelihood, 0..1) ──┐
//   FILE.json ──► the other detector's rows (0..1) ──────────────────────────────────────┤
//        candidates, each fixed in advance (nothing fitted on these files):           ├─► NAB sweep
//          NAME alone; max(shipped, NAME); shipped + NAME (sum, clipped at 1)           │   in-sample and
//          (--combine alone,max,sum picks which; the shipped detector is always one) ──┘   LOCO
//   then LOCO with the candidate chosen per fold among all of them, by the other four
//   categories' score ('train') and by a LOCO inside the other four ('nested').
//
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-combine.js --scores artime=/tmp/a.json [--combine max] [--data DIR]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { candidateReport, loadNab } from './nab-corpus.js';

const args = process.argv.slice(2);
const opt = (flag: string): string[] => args.flatMap((a, i) => (a === flag && i + 1 < args.length ? [args[i + 1]] : []));
const dir = opt('--data')[0] ?? join(packageRoot, '..', '..', 'shared', 'datasets', 'nab');
const others = opt('--scores').map((spec) => {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new TypeError(`--scores ${spec}: expected NAME=FILE.json`);
  return { label: spec.slice(0, eq), rows: JSON.parse(readFileSync(spec.slice(eq + 1), 'utf8')) as Record<string, number[]> };
});
if (others.length === 0) throw new TypeError('give at least one --scores NAME=FILE.json');
const combine = new Set((opt('--combine')[0] ?? 'alone,max,sum').split(','));
for (const c of combine) if (!['alone', 'max', 'sum'].includes(c)) throw new TypeError(`--combine ${c}: expected alone, max or sum (comma-separated)`);

const corpus = loadNab(dir);
const { series, shipped } = corpus;

const { report, chosen } = candidateReport(corpus);
report('shipped', (i) => shipped[i]);
for (const { label, rows } of others) {
  const ext = series.map((s) => {
    const r = rows[s.name];
    if (r?.length !== s.ts.length) throw new TypeError(`${label}: ${s.name} needs ${s.ts.length} scores, has ${r?.length ?? 'none'}`);
    return r;
  });
  if (combine.has('alone')) report(`${label} alone`, (i) => ext[i]);
  if (combine.has('max')) report(`max(shipped, ${label})`, (i) => shipped[i].map((v, r) => Math.max(v, ext[i][r])));
  if (combine.has('sum')) report(`shipped + ${label}`, (i) => shipped[i].map((v, r) => Math.min(1, v + ext[i][r])));
}
chosen();
