// The text detector's tail gate (issue 11): a stream whose costs are heavy-tailed (a WAF's JSON
// records: scanners' requests, rule ids and descriptions, a few percent of its lines, each costly
// once it has left the dictionary of ~30 distinct long records) has a MAD far below its tail; a
// line without a severity word is news only when its cost is in the tail of the stream's own
// recent costs (TEXT_PARAMS.rareCostP), not merely far above the median.
import { describe, expect, it } from 'vitest';
import { generateEdge } from '../../src/tools/eval/generators/edge.js';
import { TEXT_DETECTOR } from '../../workers/detectors/text.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

describe('a stream whose costs are heavy-tailed', () => {
  it("reports fewer of a WAF log's ordinary records as new text, and still its incidents", () => {
    let ordinary = 0;
    let incidents = 0;
    for (const seed of [1, 2]) {
      const set = generateEdge(seed, 3);
      const labelled = new Set(set.labels.anomalous);
      const idx: number[] = [];
      const ev: ScoreInput[] = [];
      set.events.forEach((e, i) => {
        if (e.stream !== 'waf/edge') return;
        idx.push(i);
        ev.push({ ts: Date.parse(e.timestamp), text: String(e.data) });
      });
      const { findings } = runStream('logs', ev, 100);
      // After its first 512 records (the null full, twice over).
      ordinary += findings.filter((f) => f.detector === TEXT_DETECTOR && f.index >= 512 && !labelled.has(idx[f.index])).length;
      incidents += new Set(findings.filter((f) => labelled.has(idx[f.index])).map((f) => f.index)).size;
    }
    // Before the gate: 51 (31 + 20); with it 30.
    expect(ordinary).toBeLessThan(40);
    // 5: the WAF's never-seen client country (a settled key, fields.ts, branch cat14) on both
    // seeds, found since; before, 3 (a new error and a 5xx on the status page).
    expect(incidents).toBe(5);
  });
});
