// A numeric field's known outlying levels (field-numbers.ts): a slot whose values have a second,
// slow mode that comes back alone now and then (a fallback path: a card issuer that does not
// answer and a stand-in that decides after a fixed wait, ~2.7 s where a payment takes ~120 ms).
//
//   outlier (z ≥ numHalf) ─► its level y = log(x + unit) ─► the field's mode within modeWidth
//     none: a new mode [y, 1, sighting]  (at most maxModes; the least seen one is replaced)
//     one:  a return at least modeGap sightings after the mode's last line is an episode;
//           known once modeEpisodes episodes came before it: such a return is no outlier
//
// Lines of a mode that come close together (a burst of slow answers) are no episode and stay
// outliers; a level the slot never showed is an outlier as before. Per field, not per context:
// a fallback's wait lands on every route or scheme at the same level.
import { grow, MODE_BYTES, OPTIONAL_BYTES, table, type FieldStats } from './field-stats.js';
import { jsonBytes, VALUE_BYTES } from './budget.js';

export const MODE_PARAMS = Object.freeze({
  /** Half-width of a mode, in log units: within 1.5× of its level. */
  modeWidth: Math.log(1.5),
  /** Sightings of the field between two lines of a mode for the later to be an episode (alone, not a burst). */
  modeGap: 50,
  /** Episodes of a mode before its next lone return is a known level. */
  modeEpisodes: 3,
  maxModes: 2,
});

/**
 * Whether an outlying level y of field f is a known mode returning alone (then no outlier), and
 * records the sighting in f.o. Call only for an outlier about to be reported (z ≥ numHalf).
 */
export function knownMode(f: FieldStats, y: number): boolean {
  const P = MODE_PARAMS;
  let o = f.o;
  if (o === undefined) {
    o = f.o = [];
    grow(OPTIONAL_BYTES);
  }
  let at = -1;
  for (let i = 0; i < o.length; i += 3) {
    if (Math.abs(o[i] - y) <= P.modeWidth && (at < 0 || Math.abs(o[i] - y) < Math.abs(o[at] - y))) at = i;
  }
  if (at < 0) {
    addMode(f, o, y);
    return false;
  }
  const alone = f.n - o[at + 2] >= P.modeGap;
  const known = alone && o[at + 1] >= P.modeEpisodes;
  if (alone) {
    o[at + 1]++;
    o[at] = round(o[at] + (y - o[at]) / o[at + 1]);
  }
  o[at + 2] = f.n;
  return known;
}

/** A new mode at y, in place of the least seen one when f.o is full. */
function addMode(f: FieldStats, o: number[], y: number): void {
  if (o.length < 3 * MODE_PARAMS.maxModes) {
    o.push(round(y), 1, f.n);
    grow(MODE_BYTES);
    return;
  }
  let least = 0;
  for (let i = 3; i < o.length; i += 3) if (o[i + 1] < o[least + 1] || (o[i + 1] === o[least + 1] && o[i + 2] < o[least + 2])) least = i;
  o[least] = round(y);
  o[least + 1] = 1;
  o[least + 2] = f.n;
}

/**
 * A field's *common far level*: its far values (z ≥ levelZ, half the outlier's numHalf, against
 * the history that judged them), counted per level (log units, `levelWidth` wide, at most
 * maxLevels levels, in f.q). A template that merges two kinds of request gives its numeric slot two modes, and the
 * second one is a habit, not news: a registry's blob downloads (3-270 MB) share the template,
 * the method and the status of its manifest reads (2-7 KB), 8 % of its GETs, each one 4,000× the
 * typical. An outlier whose level and its two neighbours have held at least levelCount of the
 * field's earlier far values, and levelShare of its numbers, is a value usual for its own mode and
 * not reported; a level the field has never shown so often (a burst of slow answers, 50× the
 * usual, on a field whose far values are rare) is reported as before.
 */
export const LEVEL_PARAMS = Object.freeze({
  levelZ: 5,
  levelWidth: Math.log(3),
  levelCount: 5,
  levelShare: 0.02,
  maxLevels: 16,
});

/** Whether far level y (z ≥ levelZ) of field f is a common far level (see LEVEL_PARAMS), then counts it in f.q. */
export function commonLevel(f: FieldStats, y: number): boolean {
  const P = LEVEL_PARAMS;
  let q = f.q;
  if (q === undefined) {
    q = f.q = table<number>();
    grow(OPTIONAL_BYTES);
  }
  const b = Math.floor(y / P.levelWidth);
  let near = 0;
  let levels = 0;
  for (const k in q) {
    levels++;
    if (Math.abs(Number(k) - b) <= 1) near += q[k];
  }
  const key = String(b);
  if (Object.hasOwn(q, key)) q[key]++;
  else if (levels < P.maxLevels) {
    q[key] = 1;
    grow(jsonBytes(key) + VALUE_BYTES);
  }
  return near >= P.levelCount && near >= P.levelShare * f.num;
}

const round = (y: number): number => Math.round(y * 1e4) / 1e4;
