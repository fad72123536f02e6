// An unseen value of a slot whose values are settled (branch cat14): the slot has shown its few
// values for at least half of its sightings, from 100 sightings on, so a new one is judged at the
// metadata bar with p = max(Good-Turing, 1 / sightings since the last new value), up to
// maxValues values (a WAF's nine client countries): a VPN's data-channel cipher after 200 logins,
// a DHCP lease via an interface never used. A slot that keeps taking new values, or values that
// are numbers, ids or counters (a run of 2+ digits), never qualifies.
import { describe, expect, it } from 'vitest';
import { FIELD_PARAMS, fieldBytes, freshField, grownBytes, observeValue } from '../../workers/detectors/fields.js';

function feed(values: string[]): ReturnType<typeof freshField> {
  const f = freshField();
  for (const v of values) observeValue(f, v, '');
  return f;
}
const cycle = (vals: string[], n: number): string[] => Array.from({ length: n }, (_, i) => vals[(i * 7 + (i >> 3)) % vals.length]);

describe('an unseen value of a settled slot (fields.ts)', () => {
  it('a third cipher after 200 sightings of two is reported', () => {
    const f = feed(cycle(['AES-256-GCM', 'CHACHA20-POLY1305'], 200));
    const r = observeValue(f, 'DES-EDE3-CBC', '');
    expect(r?.kind).toBe('unseen_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('a tenth country after 180 sightings of nine (more than lowCard) is reported', () => {
    const countries = ['de', 'at', 'ch', 'nl', 'fr', 'us', 'gb', 'pl', 'se'];
    expect(countries.length).toBeGreaterThan(FIELD_PARAMS.lowCard);
    const f = feed(cycle(countries, 180));
    const r = observeValue(f, 'kp', '');
    expect(r?.kind).toBe('unseen_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('not for a field of one value (a constant so far)', () => {
    const f = feed(cycle(['eth0'], 300));
    expect(observeValue(f, 'eth1', '')).toBeNull();
  });

  it('not before 100 sightings', () => {
    const f = feed(cycle(['eth1', 'eth2', 'eth3'], 60));
    expect(observeValue(f, 'eth0', '')).toBeNull();
  });

  it('not while the slot took a new value within the last half of its sightings', () => {
    // Values keep arriving: the 9th came at sighting 150 of 200.
    const vals = cycle(['a1', 'b1', 'c1'], 200);
    [30, 60, 90, 110, 130, 150].forEach((at, k) => (vals[at] = `v${String.fromCharCode(97 + k)}`));
    const f = feed(vals);
    const r = observeValue(f, 'new', '');
    expect(r === null || r.score < 0.5).toBe(true);
  });

  it('never for a number, a counter or an id (a run of two or more digits), a path, a host, an address or a key=value word', () => {
    for (const x of ['17', 'pid4711', 'b94fa92bd06d2dc6', '/v2/export', 'glue.amazonaws.com', 'roleName=admin', 'a@b', 'x:y']) {
      const f = feed(cycle(['alpha', 'beta', 'gamma'], 300));
      const r = observeValue(f, x, '');
      expect(r === null || r.score < 0.5).toBe(true);
    }
  });

  it('the record of the last new value is counted in the field\'s bytes', () => {
    const g0 = grownBytes();
    const f = feed(cycle(['x', 'y'], 10));
    expect(f.t).toBe(1);
    expect(grownBytes() - g0 + fieldBytes(freshField(), 's')).toBe(fieldBytes(f, 's'));
  });
});
