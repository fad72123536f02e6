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

/** Incidents found, overall and per kind. */
export interface IncidentFigures {
  incidents: number;
  found: number;
  /** null when nothing is labelled. */
  recall: number | null;
  /** Per label kind (only when the labels carry kinds). */
  by_kind?: Record<string, { incidents: number; found: number; recall: number }>;
}

/**
 * An incident is a maximal run of consecutive labelled event indices of the same kind (unkinded
 * labels are one kind); it is found when any of its events is flagged. Indices are event ranks.
 */
export function incidentFigures(flagged: ReadonlySet<number>, truth: readonly number[], kinds?: ReadonlyMap<number, string>): IncidentFigures {
  const sorted = [...truth].sort((a, b) => a - b);
  const per = new Map<string, { incidents: number; found: number }>();
  let incidents = 0;
  let found = 0;
  for (let i = 0; i < sorted.length;) {
    const kind = kinds?.get(sorted[i]) ?? '';
    let hit = false;
    let j = i;
    for (; j < sorted.length && (j === i || (sorted[j] === sorted[j - 1] + 1 && (kinds?.get(sorted[j]) ?? '') === kind)); j++) {
      if (flagged.has(sorted[j])) hit = true;
    }
    incidents++;
    if (hit) found++;
    const k = per.get(kind) ?? { incidents: 0, found: 0 };
    k.incidents++;
    if (hit) k.found++;
    per.set(kind, k);
    i = j;
  }
  const out: IncidentFigures = { incidents, found, recall: incidents === 0 ? null : found / incidents };
  if (kinds !== undefined && kinds.size > 0) {
    out.by_kind = Object.fromEntries([...per].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v, recall: v.found / v.incidents }]));
  }
  return out;
}

/** `incidents: 27 of 29 found (recall 0.931); by kind: burst 9/10, novel 10/10, value 8/9`. */
export function formatIncidents(r: IncidentFigures): string {
  if (r.recall === null) return 'incidents: none labelled';
  const kinds = r.by_kind === undefined ? '' : `; by kind: ${Object.entries(r.by_kind).map(([k, v]) => `${k} ${v.found}/${v.incidents}`).join(', ')}`;
  return `incidents: ${r.found} of ${r.incidents} found (recall ${r.recall.toFixed(3)})${kinds}`;
}
