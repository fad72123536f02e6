// A new value that is the next step of one the field has shown (fields.ts): a release, a day, a
// member added to a numbered series, not a new category. A slot or metadata field of versions (a
// firmware, an agent, a schema) changes its value on every rollout; a day without its year
// (`07-25` in a vLLM line's prefix) at midnight; a fleet's host names when it grows
// (gpu-a100-01 … 05, then 06). Its next patch, minor or major number after a value it has shown
// (4.6.3 → 4.6.4, 3.7.9 → 3.7.10, 2.4.1 → 2.5.0, 07-31 → 08-01, gpu-a100-05 → gpu-a100-06), or
// the release of a pre-release it has shown (4.7.0-rc.2 → 4.7.0), is what an operator expects of
// it. A step back (a downgrade), a jump of more than STEP, another name around the numbers
// (sa-east-1 after us-east-1), or a bare number (a status, a qos level, a count) is judged as before.
//
//   numbered value: 1-3 runs of digits (so an IPv4 address is not one) and the text around them,
//                   not a bare number; the next step: the same text, the first run that differs
//                   STEP or less above the shown value's, the runs after it 0 or 1 (a new minor
//                   version, a new month, start anew)

/** The largest step of the changed number that is still the next one (4.6.3 → 4.6.5: a skipped build). */
export const STEP = 2;

/** The most runs of digits a numbered value has. */
const MAX_RUNS = 3;

/** A value's text with its runs of digits as '#', and those runs' numbers; null when not a numbered value. */
function numbered(x: string): { shape: string; nums: number[] } | null {
  let shape = '';
  const nums: number[] = [];
  let other = false;
  const n = x.length;
  let i = 0;
  while (i < n) {
    const c = x.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      const from = i;
      let v = 0;
      while (i < n && x.charCodeAt(i) >= 48 && x.charCodeAt(i) <= 57) v = v * 10 + (x.charCodeAt(i++) - 48);
      if (i - from > 6 || nums.length === MAX_RUNS) return null;
      nums.push(v);
      shape += '#';
      continue;
    }
    other = true;
    shape += x[i++];
  }
  return nums.length === 0 || !other ? null : { shape, nums };
}

/** Whether numbered value `a` is the next step after `b` (the same text around their numbers). */
function follows(a: { shape: string; nums: number[] }, b: { shape: string; nums: number[] }): boolean {
  if (a.shape !== b.shape) return false;
  let i = 0;
  while (i < a.nums.length && a.nums[i] === b.nums[i]) i++;
  if (i === a.nums.length) return false;
  const step = a.nums[i] - b.nums[i];
  if (step < 1 || step > STEP) return false;
  for (let j = i + 1; j < a.nums.length; j++) if (a.nums[j] > 1) return false;
  return true;
}

/** Whether `value` is the next step after one of the field's values `seen` (their names). */
export function nextVersion(value: string, seen: Iterable<string>): boolean {
  const a = numbered(value);
  if (a === null) return false;
  for (const k of seen) {
    // The release of a pre-release: 4.7.0 after 4.7.0-rc.2 (or a build, +b7).
    if (k.length > value.length + 1 && k.startsWith(value) && (k.charCodeAt(value.length) === 45 || k.charCodeAt(value.length) === 43)) return true;
    const b = numbered(k);
    if (b !== null && follows(a, b)) return true;
  }
  return false;
}
