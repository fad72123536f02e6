// The end of a generator: its rows merged by event time (a stable sort: ties keep their order) and
// the labels read off the merged order ({"anomalous": [indices], "kinds": {"<index>": kind}}).
import type { GeneratedEvent, GeneratedSet } from './index.js';

export function labelledSet(rows: { ts: number; ev: GeneratedEvent; kind?: string }[]): GeneratedSet {
  rows.sort((a, b) => a.ts - b.ts);
  const anomalous: number[] = [];
  const kinds: Record<string, string> = {};
  rows.forEach((row, i) => {
    if (row.kind === undefined) return;
    anomalous.push(i);
    kinds[String(i)] = row.kind;
  });
  return { events: rows.map((x) => x.ev), labels: { anomalous, kinds } };
}
