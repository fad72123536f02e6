// A new value that is the next version of one the field has shown (fields.ts): a release, not a
// new category. A slot or metadata field of versions (a firmware, an agent, a schema) changes its
// value on every rollout; its next patch, minor or major number after a version it has shown
// (4.6.3 → 4.6.4, 3.7.9 → 3.7.10, 2.4.1 → 2.5.0), or the release of a pre-release it has shown
// (4.7.0-rc.2 → 4.7.0), is what an operator expects of it. A step back (a downgrade), a jump of
// more than VERSION_STEP, or a value that is not a version (a status, a region, a count without
// a dot) is judged as before.
//
//   version: v?N.N[.N] with an optional pre-release or build suffix (-rc.2, +b7); 2-3 numbers, so
//            an IPv4 address is not one

/** The largest step of the changed number that is still the next version (4.6.3 → 4.6.5: a skipped build). */
export const VERSION_STEP = 2;

/** A version's numbers and whether it carries a suffix, or null when `x` is not a version. */
function parseVersion(x: string): { nums: number[]; suffix: boolean } | null {
  let i = x.charCodeAt(0) === 118 /* v */ ? 1 : 0;
  const nums: number[] = [];
  const n = x.length;
  while (i < n) {
    const from = i;
    let v = 0;
    while (i < n && x.charCodeAt(i) >= 48 && x.charCodeAt(i) <= 57) v = v * 10 + (x.charCodeAt(i++) - 48);
    if (i === from || i - from > 6) return null;
    nums.push(v);
    if (i === n) break;
    const c = x.charCodeAt(i);
    if (c === 46 /* . */ && nums.length < 3) {
      i++;
      continue;
    }
    // A pre-release or build suffix after the numbers: -rc.2, +b7.
    if ((c === 45 /* - */ || c === 43) /* + */ && nums.length >= 2 && i + 1 < n) return { nums, suffix: true };
    return null;
  }
  return nums.length >= 2 ? { nums, suffix: false } : null;
}

/** Whether version `a` is the next release after version `b` (same count of numbers). */
function follows(a: { nums: number[]; suffix: boolean }, b: { nums: number[]; suffix: boolean }): boolean {
  if (a.nums.length !== b.nums.length) return false;
  let i = 0;
  while (i < a.nums.length && a.nums[i] === b.nums[i]) i++;
  // The same numbers: the release of a pre-release (4.7.0 after 4.7.0-rc.2).
  if (i === a.nums.length) return b.suffix && !a.suffix;
  const step = a.nums[i] - b.nums[i];
  if (step < 1 || step > VERSION_STEP) return false;
  // A minor or major step starts the numbers after it anew (2.4.1 → 2.5.0, not 2.5.7).
  for (let j = i + 1; j < a.nums.length; j++) if (a.nums[j] !== 0) return false;
  return true;
}

/** Whether `value` is the next version after one of the field's values `seen` (their names). */
export function nextVersion(value: string, seen: Iterable<string>): boolean {
  const a = parseVersion(value);
  if (a === null) return false;
  for (const k of seen) {
    const b = parseVersion(k);
    if (b !== null && follows(a, b)) return true;
  }
  return false;
}
