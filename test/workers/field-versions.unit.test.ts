// A field's next version is a release, not a new category (field-versions.ts, branch fa24): a
// fleet's firmware slot showed 4.6.3, 4.6.2 and 4.7.0-rc.2, and its first 4.6.4 (a rollout) was
// reported as a value "never seen in 3489 sightings" on every template that carries it (iot tuning
// seeds 201-205: about 20 of 300 false alarm lines); so were a vLLM prefix's day 07-26 after 07-25
// and a GPU fleet's gpu-a100-06 after 01-05 (ml). A downgrade, a jump, another name around the
// numbers, or a bare number (a status, a qos level) is still news.
import { describe, expect, it } from 'vitest';
import { freshField, observeValue } from '../../workers/detectors/fields.js';
import { nextVersion } from '../../workers/detectors/field-versions.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

function fieldOf(values: readonly string[], n: number): ReturnType<typeof freshField> {
  const f = freshField();
  for (let i = 0; i < n; i++) observeValue(f, values[i % values.length], '', true, true);
  return f;
}

describe('nextVersion', () => {
  it('takes the next patch, minor or major number and the release of a pre-release', () => {
    const seen = ['4.6.3', '4.6.2', '4.7.0-rc.2'];
    for (const v of ['4.6.4', '4.6.5', '4.7.0', '4.8.0', '5.0.0']) expect(nextVersion(v, seen), v).toBe(true);
    expect(nextVersion('3.7.10', ['3.7.9'])).toBe(true);
    expect(nextVersion('v1.5', ['v1.4'])).toBe(true);
  });

  it('takes the next day without its year and the next member of a numbered series', () => {
    expect(nextVersion('07-26', ['07-25'])).toBe(true);
    expect(nextVersion('08-01', ['07-30', '07-31'])).toBe(true);
    expect(nextVersion('gpu-a100-06', ['gpu-a100-01', 'gpu-a100-05'])).toBe(true);
    expect(nextVersion('sa-east-1', ['us-east-1', 'eu-west-1'])).toBe(false);
    expect(nextVersion('gpu-monitor[3021]:', ['gpu-monitor[3239]:'])).toBe(false);
  });

  it('not a downgrade, a jump, a minor step that keeps its patch, nor what is no version', () => {
    const seen = ['4.6.3', '4.6.2', '4.7.0-rc.2'];
    for (const v of ['4.6.1', '4.6.9', '4.10.0', '4.7.3', '3.0.0', '4.6.4.1', 'x4.6.4']) expect(nextVersion(v, seen), v).toBe(false);
    expect(nextVersion('2', ['0', '1'])).toBe(false);
    expect(nextVersion('503', ['500', '502'])).toBe(false);
    expect(nextVersion('10.0.0.6', ['10.0.0.5'])).toBe(false);
    expect(nextVersion('sa-east', ['us-east', 'eu-west'])).toBe(false);
  });
});

describe('an unseen value of a low-cardinality field', () => {
  it('the next firmware version after 600 sightings of three is no finding; a downgrade still is', () => {
    const fw = ['4.6.3', '4.6.2', '4.7.0-rc.2'];
    expect(observeValue(fieldOf(fw, 600), '4.6.4', '', true, true)).toBeNull();
    const r = observeValue(fieldOf(fw, 600), '4.5.0', '', true, true);
    expect(r?.kind).toBe('unseen_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('a qos level one above the known ones is still news', () => {
    const r = observeValue(fieldOf(['0', '1'], 600), '2', '', true, true);
    expect(r?.kind).toBe('unseen_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });
});

describe('a device fleet whose firmware rolls out', () => {
  const T0 = 1_760_000_000_000;
  const FW = ['4.6.3', '4.6.2', '4.7.0-rc.2'];
  function lines(n: number, at: number, value: string): ScoreInput[] {
    return Array.from({ length: n }, (_, i) => ({
      ts: T0 + i * 5_000,
      text: `telemetryd: status dev-${(1000 + ((i * 37) % 400)).toString(16)} fw=${i >= at && i % 4 === 0 ? value : FW[i % 3]} bat=${50 + (i % 40)}% rssi=-${60 + (i % 20)}`,
    }));
  }

  it('the first 4.6.4 after 1,500 status lines is no template_slot finding', () => {
    const { findings } = runStream('logs', lines(1600, 1500, '4.6.4'), 100);
    expect(findings.filter((f) => f.detector === 'template_slot' && f.index >= 1500).map((f) => f.explanation)).toEqual([]);
  });

  it('a value that is no version there is (the same fleet, fw=unknown)', () => {
    const { findings } = runStream('logs', lines(1600, 1500, 'unknown'), 100);
    expect(findings.filter((f) => f.detector === 'template_slot' && f.index >= 1500).length).toBeGreaterThan(0);
  });
});
