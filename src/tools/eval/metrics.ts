// Per-event detection figures: precision, recall, F1 and false alarms per 1,000 events. Pure.

export interface DetectionFigures {
  events: number;
  anomalous: number;
  tp: number;
  fp: number;
  fn: number;
  /** null when nothing is labelled anomalous (only false alarms mean something then). */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  false_alarms_per_1000: number;
}

/** `flagged` and `truth` are event indices in [0, events). Precision is 0 when nothing is flagged. */
export function detectionFigures(flagged: Iterable<number>, truth: Iterable<number>, events: number): DetectionFigures {
  const t = new Set<number>();
  for (const i of truth) {
    if (!Number.isInteger(i) || i < 0 || i >= events) throw new RangeError(`labelled index ${i} is outside 0..${events - 1}`);
    t.add(i);
  }
  const f = new Set<number>(flagged);
  let tp = 0;
  let fp = 0;
  for (const i of f) {
    if (t.has(i)) tp++;
    else fp++;
  }
  const fn = t.size - tp;
  const labelled = t.size > 0;
  const precision = labelled ? (tp + fp === 0 ? 0 : tp / (tp + fp)) : null;
  const recall = labelled ? tp / t.size : null;
  const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { events, anomalous: t.size, tp, fp, fn, precision, recall, f1, false_alarms_per_1000: events === 0 ? 0 : (fp / events) * 1000 };
}

/** `BGL_2k: precision 0.43 recall 0.97 f1 0.60 false_alarms_per_1000 92.0 (2000 lines)`. */
export function formatFigures(name: string, m: DetectionFigures, unit: string): string {
  const parts = m.precision === null ? [] : [`precision ${m.precision.toFixed(3)}`, `recall ${(m.recall as number).toFixed(3)}`, `f1 ${(m.f1 as number).toFixed(3)}`];
  parts.push(`false_alarms_per_1000 ${m.false_alarms_per_1000.toFixed(1)}`);
  const counts = m.precision === null ? `${m.fp} false alarms` : `tp ${m.tp}, fp ${m.fp}, fn ${m.fn}`;
  return `${name}: ${parts.join(' ')} (${m.events} ${unit}; ${counts})`;
}
