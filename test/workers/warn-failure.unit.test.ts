// A warning that names a failure (an exception, "failed"…) is an error report at warning level
// (Spark, Hadoop and many Java services log a lost task or a failed call as WARN): once its
// pattern is flagged, its recurrences are reported as a severe pattern's are (every line of an
// incident while the pattern stays rare), not folded into the first finding. Its novelty needs
// the same surprise as any line's (no severity prior): only the recurrence rule changes.
import { describe, expect, it } from 'vitest';
import { hasHighLevel, LineSeverity, severityOf, warnedFailure } from '../../workers/detectors/text.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { runStream, textEvents } from './helpers.js';
import { pgRegularStream } from './pg-regular.js';

describe('warnedFailure()', () => {
  it.each([
    ['26/07/25 04:24:37 WARN TaskSetManager: Lost task 18.0 in stage 18670.0 (TID 365257): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired', 'timeoutexception'],
    ['WARN disk is 99% full; compaction aborted', 'aborted'],
    ['2026-01-05 WARNING [db] connection to replica failed, retrying', 'failed'],
    ['WARN scheduler rebalanced shard 7 across zone-b replicas', ''],
    ['INFO job failed over to standby', ''],
    ['ERROR payment gateway timeout', ''],
    ['sshd[1761]: error: Bind to port 22 failed', ''],
    // Not failures: a zero counter, a negation, a flag or a name.
    ['WARN sync done ok=120 failed=0', ''],
    ['WARN health check: killed=0 oom: 0', ''],
    ['WARN retry succeeded, no error', ''],
    ['WARN batch finished without failures', ''],
    ['WARN Deprecated option --fail-fast ignored', ''],
    ['WARN table failed_jobs is large', ''],
    ['WARN sync done ok=119 failed=1', 'failed'],
    ['WARN no route to host; connect failed', 'failed'],
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

// A regular stream whose vocabulary all came in its first lines (as in text-regular.unit.test.ts):
// its null holds the warm-up's dear costs. An error-level line is judged by the null without them
// (TEXT_PARAMS.matureNull); so is a warning that names a failure (the Spark driver's lost tasks
// of the batch generator, tuning seed 203: 888 bits against a typical 376 of the warm-up, z 1.3,
// admitted, then every later line of its burst a known line).
describe('a warning that names a failure in a regular stream', () => {
  const flagged = (odd: string): number[] => runStream('logs', pgRegularStream(odd), 100).findings.filter((f) => f.detector === 'compression_surprise').map((f) => f.index);

  it('is judged by the null without the warm-up, as an error-level line is', () => {
    expect(flagged('WARNING:  logical replication worker for subscription "orders_sub" failed: could not receive data from WAL stream')).toEqual([400]);
  });

  it('while a plain warning keeps the whole null', () => {
    expect(flagged('WARNING:  logical replication worker for subscription "orders_sub" will restart because the subscription was altered')).toEqual([]);
  });
});

describe('LineSeverity', () => {
  // One line's severity words worked out once (text.ts and logs.ts share them): the same as the
  // functions', and routine exactly when a line has neither a severity word nor a warned failure.
  it.each([
    'WARN disk is 99% full; compaction aborted',
    'ERROR payment gateway timeout',
    'sshd[1761]: error: Bind to port 22 failed',
    'INFO job failed over to standby',
    'WARN sync done ok=120 failed=0',
    'GET /api/v1/me 200 12ms',
  ])('%s', (line) => {
    const sev = new LineSeverity();
    // Another line first: of() starts afresh on a new one.
    expect(sev.of('FATAL kernel panic').word).toBe('fatal');
    const w = sev.of(line);
    expect([w.word, w.warned, w.high]).toEqual([severityOf(line), warnedFailure(line), warnedFailure(line) !== '' || hasHighLevel(line)]);
    expect(w.routine).toBe(severityOf(line) === '' && warnedFailure(line) === '');
  });
});
