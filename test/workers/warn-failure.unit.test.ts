// A warning that names a failure (an exception, "failed"…) is an error report at warning level
// (Spark, Hadoop and many Java services log a lost task or a failed call as WARN): once its
// pattern is flagged, its recurrences are reported as a severe pattern's are (every line of an
// incident while the pattern stays rare), not folded into the first finding. Its novelty needs
// the same surprise as any line's (no severity prior): only the recurrence rule changes.
import { describe, expect, it } from 'vitest';
import { severityOf, warnedFailure } from '../../workers/detectors/text.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { runStream, textEvents } from './helpers.js';

describe('warnedFailure()', () => {
  it.each([
    ['26/07/25 04:24:37 WARN TaskSetManager: Lost task 18.0 in stage 18670.0 (TID 365257): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired', 'timeoutexception'],
    ['WARN disk is 99% full; compaction aborted', 'aborted'],
    ['2026-01-05 WARNING [db] connection to replica failed, retrying', 'failed'],
    ['WARN scheduler rebalanced shard 7 across zone-b replicas', ''],
    ['INFO job failed over to standby', ''],
    ['ERROR payment gateway timeout', ''],
    ['sshd[1761]: error: Bind to port 22 failed', ''],
  ])('%s → %j', (line, want) => {
    expect(warnedFailure(line)).toBe(want);
  });

  it('leaves severityOf (the novelty prior) as it was', () => {
    expect(severityOf('WARN disk is 99% full; compaction aborted')).toBe('');
  });
});

describe('a burst of a warning that names a failure', () => {
  const base = (): string[] => syntheticLog({ lines: 2000, anomalies: 0, seed: 12 }).lines;
  const burst = (make: (i: number) => string) => {
    const lines = base();
    const at: number[] = [];
    for (let i = 1000; i < 1120; i += 4) {
      lines[i] = make(i);
      at.push(i);
    }
    const { findings } = runStream('logs', textEvents(lines), 100);
    return { at, on: findings.filter((f) => f.detector === 'compression_surprise' && at.includes(f.index)) };
  };

  it('is reported line by line while its pattern stays rare', () => {
    const { at, on } = burst((i) => `WARN TaskSetManager: Lost task ${i % 21}.0 in stage ${i * 3}.0 (TID ${i * 17}): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition clickstream-${i % 12} could be determined`);
    expect(on[0].details.kind).toBe('novel');
    expect(on.length).toBeGreaterThanOrEqual(at.length / 2);
    expect(on[1].details).toMatchObject({ kind: 'incident', severity: 'timeoutexception' });
  });

  it('while the same burst of a plain warning is folded into its first finding', () => {
    const { on } = burst((i) => `WARN TaskSetManager: Moved task ${i % 21}.0 in stage ${i * 3}.0 (TID ${i * 17}) to the locality wait queue of executor ${i % 8} for partition clickstream-${i % 12} while it is determined`);
    expect(on.length).toBeLessThanOrEqual(1);
  });
});
