// The example pair in examples/ for `driftwatch eval events`, generated from our own synthetic
// log (src/tools/demo/synthetic.ts), never from the benchmark data. Regenerate with
//   npm run build && node -e "import('./dist/src/tools/eval/examples.js').then((m) => m.writeDemoExamples('examples'))"
// test/eval/events.e2e.test.ts checks that the committed files equal this output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticLog } from '../demo/synthetic.js';

export const DEMO_EXAMPLE = { lines: 2000, anomalies: 20, seed: 42, start: Date.UTC(2024, 0, 1) } as const;

/** NDJSON events (one `logs` stream, source `checkout`, one line a second) and their labels. */
export function demoEventsPair(): { ndjson: string; labels: string } {
  const { lines, anomalous } = syntheticLog(DEMO_EXAMPLE);
  const ndjson = lines
    .map((data, i) => JSON.stringify({ timestamp: new Date(DEMO_EXAMPLE.start + i * 1000).toISOString(), stream_type: 'logs', data, metadata: { source: 'checkout' } }))
    .join('\n');
  return { ndjson: ndjson + '\n', labels: JSON.stringify({ anomalous }) + '\n' };
}

export function writeDemoExamples(dir: string): void {
  const { ndjson, labels } = demoEventsPair();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'demo-events.ndjson'), ndjson);
  writeFileSync(join(dir, 'demo-labels.json'), labels);
}
