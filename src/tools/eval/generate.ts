// `driftwatch eval generate`: runs one registered generator and writes its files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATORS } from './generators/index.js';

interface Io { out: (line: string) => void }

export function runGenerate(flags: Record<string, string>, io: Io): unknown {
  const kinds = Object.keys(GENERATORS);
  const kind = flags['--kind'];
  if (kind === undefined || !(kind in GENERATORS)) throw new TypeError(`eval generate needs --kind <${kinds.join('|') || 'none registered'}>`);
  const seedText = flags['--seed'] ?? '';
  const seed = Number(seedText);
  if (!/^\d{1,9}$/.test(seedText) || !Number.isSafeInteger(seed)) throw new TypeError(`eval generate needs --seed <integer 0..999999999>, got ${JSON.stringify(seedText)}`);
  const out = flags['--out'];
  if (out === undefined || out === '') throw new TypeError('eval generate needs --out <folder>');
  const set = GENERATORS[kind].generate(seed);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'events.ndjson'), set.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(out, 'labels.json'), JSON.stringify(set.labels) + '\n');
  const streams = new Set(set.events.map((e) => e.stream)).size;
  io.out(`generate ${kind} seed ${seed}: ${set.events.length} events in ${streams} streams, ${set.labels.anomalous.length} labelled anomalous → ${out}/events.ndjson, ${out}/labels.json`);
  return { kind, seed, events: set.events.length, streams, anomalous: set.labels.anomalous.length };
}
