// The sequence detector: session keys, profiles, compression score against the reference,
// unseen transitions, grouping by idle gap in event time, state round trip; and `eval sessions`
// on a small hand-made sessions.csv.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import score from '../../workers/score.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { task } from './helpers.js';
import {
  fitSessions, scoreSession, sessionKeyOf, sessionProfile, SessionTracker, SESSION_DETECTOR, SESSION_PARAMS, type ClosedSession, type SessionState,
} from '../../workers/detectors/sessions.js';
import { runEval } from '../../src/tools/eval/cli.js';
import { evalSessions, evalSessionsRule, foldOf, inValidation, parseSessionsCsv, sessionsCeiling, type LabelledSession } from '../../src/tools/eval/sessions.js';

const NORMAL = ['T5 T1 T1 T1 T2 T2 T2 T3 T4 T3 T4 T3 T4', 'T1 T5 T1 T1 T3 T4 T3 T4 T3 T4 T2 T2 T2', 'T5 T1 T1 T1 T2 T2 T3 T4 T3 T4 T2 T3 T4 T6'];
const seqs = (n: number): string[][] => Array.from({ length: n }, (_, i) => NORMAL[i % NORMAL.length].split(' '));

describe('session profile and score', () => {
  it('the profile is the template counts in template order, whatever the order of events', () => {
    expect(sessionProfile(['T10', 'T2', 'T1', 'T2'])).toBe('T1x1 T2x2 T10x1');
    expect(sessionProfile('T5 T1 T1 T1 T2 T2 T2 T3 T4 T3 T4 T3 T4'.split(' '))).toBe(sessionProfile('T1 T5 T1 T1 T3 T4 T3 T4 T3 T4 T2 T2 T2'.split(' ')));
  });

  it('a normal session scores below 0.5; missing steps, extra counts and unseen templates score at or above it', () => {
    const model = fitSessions(seqs(300));
    for (const s of NORMAL) expect(scoreSession(model, s.split(' ')).score).toBeLessThan(0.5);
    const truncated = scoreSession(model, 'T5 T1 T1 T8'.split(' '));
    expect(truncated.score).toBeGreaterThanOrEqual(0.5);
    expect(truncated.unseenTemplates).toEqual(['T8']);
    const extra = scoreSession(model, 'T5 T1 T1 T1 T2 T2 T2 T3 T4 T3 T4 T3 T4 T2 T2'.split(' '));
    expect(extra.excessBits).toBeGreaterThan(0);
    expect(extra.score).toBeGreaterThanOrEqual(0.5);
  });

  it('a known profile in an order never seen is flagged by its novel transitions only when transitions are on', () => {
    const model = fitSessions(seqs(300));
    const reordered = 'T4 T3 T4 T3 T4 T3 T2 T2 T2 T1 T1 T1 T5'.split(' ');
    const on = scoreSession(model, reordered, { ...SESSION_PARAMS, transitions: true });
    expect(on.excessBits).toBe(0);
    expect(on.novelTransitions).toContain('^>T4');
    expect(on.score).toBeGreaterThanOrEqual(0.5);
    expect(scoreSession(model, reordered, { ...SESSION_PARAMS, transitions: false }).score).toBeLessThan(0.5);
  });
});

describe('rare templates', () => {
  it('a template no reference session holds (or fewer than rareShare of them) flags the session whatever its compression cost; 0 turns it off', () => {
    // 1 session in 400 holds T13: below 0.003 of the sessions, above 0.001.
    const ref = [...seqs(399), 'T5 T1 T1 T1 T2 T2 T2 T13 T3 T4 T3 T4 T3 T4'.split(' ')];
    const withUnseen = 'T5 T1 T1 T1 T2 T2 T2 T3 T4 T3 T4 T3 T4 T15'.split(' ');
    const withRare = 'T5 T1 T1 T1 T2 T2 T2 T13 T3 T4 T3 T4 T3 T4'.split(' ');
    const at = (rareShare: number, seq: string[]): ReturnType<typeof scoreSession> => {
      const P = { ...SESSION_PARAMS, rareShare, marginBits: 10_000, invariantConf: 0 };
      return scoreSession(fitSessions(ref, P), seq, P);
    };
    expect(at(1e-9, withUnseen)).toMatchObject({ rareTemplates: ['T15'], unseenTemplates: ['T15'] });
    expect(at(1e-9, withUnseen).score).toBeGreaterThanOrEqual(0.5);
    expect(at(1e-9, withRare).rareTemplates).toEqual([]);
    expect(at(0.003, withRare).rareTemplates).toEqual(['T13']);
    expect(at(0.001, withRare).rareTemplates).toEqual([]);
    expect(at(0, withUnseen).score).toBeLessThan(0.5);
    for (const n of NORMAL) expect(at(0.003, n.split(' ')).score).toBeLessThan(0.5);
  });

  it('a margin of 8 bits would flag a normal profile that is a third of the reference (why the engine keeps 48)', () => {
    const model = fitSessions(seqs(300));
    expect(NORMAL.map((n) => scoreSession(model, n.split(' ')).excessBits)).toEqual([0, 0, 8]);
    expect(scoreSession(model, NORMAL[2].split(' '), { ...SESSION_PARAMS, marginBits: 8 }).score).toBeGreaterThanOrEqual(0.5);
    expect(scoreSession(model, NORMAL[2].split(' ')).score).toBeLessThan(0.5);
  });
});

describe('count invariants', () => {
  it('relations that hold in the reference flag a truncated session even when such sessions are in the reference; normal ones break none', () => {
    // 5 % of the reference are the truncated anomaly itself: compression has seen it, the invariants still hold at 0.9.
    const contaminated = [...seqs(380), ...Array.from({ length: 20 }, () => 'T5 T1 T1 T8'.split(' '))];
    const P = { ...SESSION_PARAMS, invariantConf: 0.9, invariantSupport: 50 };
    const model = fitSessions(contaminated, P);
    const s = scoreSession(model, 'T5 T1 T1 T8'.split(' '), P);
    expect(s.brokenInvariants).toContain('T1 = T2');
    expect(s.score).toBeGreaterThanOrEqual(0.5);
    for (const n of NORMAL) expect(scoreSession(model, n.split(' '), P).brokenInvariants).toEqual([]);
    // A ratio other than 1: T1 three times per T5.
    expect(scoreSession(model, 'T5 T1 T1 T1 T1 T2 T2 T2 T3 T4 T3 T4 T3 T4'.split(' '), P).brokenInvariants).toContain('T1 = 3T5');
    // Off at 0, and below the support nothing is an invariant.
    expect(scoreSession(model, 'T5 T1 T1 T8'.split(' '), { ...P, invariantConf: 0 }).brokenInvariants).toEqual([]);
    expect(scoreSession(model, 'T5 T1 T1 T8'.split(' '), { ...P, invariantSupport: 10_000 }).brokenInvariants).toEqual([]);
  });
});

describe('session keys', () => {
  it('a named metadata field, else a trace/request id, else an HDFS block id in the text, else none', () => {
    expect(sessionKeyOf('x', { order: 'o-1', trace_id: 't' }, 'order')).toBe('o-1');
    expect(sessionKeyOf('blk_1 x', { trace_id: 't' }, 'order')).toBeNull();
    expect(sessionKeyOf('x', { request_id: 'r-9' })).toBe('r-9');
    expect(sessionKeyOf('Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106')).toBe('blk_-1608999687919862906');
    expect(sessionKeyOf('no id here', {})).toBeNull();
  });
});

describe('session tracker', () => {
  // Three interleaved blocks; the third gets a truncated sequence. Events 1 s apart.
  const events: { key: string; t: string; ts: number }[] = [];
  const build = (): void => {
    let ts = 0;
    for (let b = 0; b < 80; b++) {
      const seq = (b === 70 ? 'T5 T1 T1 T8' : NORMAL[b % 3]).split(' ');
      for (const t of seq) events.push({ key: `blk_${b}`, t, ts: (ts += 1000) });
    }
  };
  build();
  const run = (batches: number[]): { closed: ClosedSession[]; flagged: string[] } => {
    let state: SessionState | null = null;
    const closed: ClosedSession[] = [];
    const flagged: string[] = [];
    let i = 0;
    for (const n of batches) {
      const tr: SessionTracker = new SessionTracker(state === null ? null : (JSON.parse(JSON.stringify(state)) as SessionState), { ...SESSION_PARAMS, idleGapMs: 5000, minReference: 30 });
      for (const e of events.slice(i, i + n)) {
        const c = tr.add(e.key, e.t, e.ts);
        closed.push(...c);
        flagged.push(...tr.judge(c).map((f) => f.session.key));
      }
      i += n;
      state = tr.state();
    }
    return { closed, flagged };
  };

  it('a session ends after the idle gap in event time; the truncated one is flagged, with an explanation', () => {
    const { closed, flagged } = run([events.length]);
    expect(closed.length).toBe(79); // the last block is still open
    expect(closed[0]).toMatchObject({ key: 'blk_0', seq: NORMAL[0].split(' ') });
    expect(flagged).toEqual(['blk_70']);
    const tr = new SessionTracker(null, { ...SESSION_PARAMS, minReference: 3 });
    tr.judge(seqs(3).map((seq, k) => ({ key: `b${k}`, first: 0, last: 0, seq, dropped: 0 })));
    const [f] = tr.judge([{ key: 'blk_x', first: 0, last: 0, seq: ['T5', 'T1', 'T8'], dropped: 0 }]);
    expect(f.explanation).toMatch(/^session blk_x \(3 events\) has template counts T1x1 T5x1 T8x1, costs \d+ bits more .*never seen in a normal session: T8/);
  });

  it('the findings do not depend on how the events are split into batches (state through JSON)', () => {
    const whole = run([events.length]);
    const split = run([7, 100, 1, 333, events.length]);
    expect(split.flagged).toEqual(whole.flagged);
    expect(split.closed.map((c) => c.key)).toEqual(whole.closed.map((c) => c.key));
  });

  it('a new template is rare while it stays rare: flagged at first, not once it holds rareShare of the judged sessions, though those never joined the reference', () => {
    const P = { ...SESSION_PARAMS, minReference: 50, rareShare: 0.01, invariantConf: 0, marginBits: 10_000 };
    const tr = new SessionTracker(null, P);
    const judge = (seq: string[], k: number): boolean => tr.judge([{ key: `b${k}`, first: 0, last: 0, seq, dropped: 0 }]).length > 0;
    seqs(300).forEach((seq, k) => expect(judge(seq, k)).toBe(false));
    const withNew = [...NORMAL[0].split(' '), 'T20'];
    // The k-th session with T20 (k = 0, 1, …) comes after 300 + k judged sessions of which k hold it:
    // rare while k < 0.01 × (300 + k), i.e. for k = 0..3; from the fifth on it is common enough.
    const flags = [0, 1, 2, 3, 4, 5].map((k) => judge(withNew, 300 + k));
    expect(flags).toEqual([true, true, true, true, false, false]);
    expect(tr.model).toMatchObject({ sessions: 302, judged: 306 });
    expect(tr.model.seen?.T20).toBe(6);
    // A state written before the counts existed loads, and reads as none counted.
    const old = JSON.parse(JSON.stringify(tr.state())) as SessionState;
    delete old.model.judged;
    delete old.model.seen;
    expect(new SessionTracker(old, P).judge([{ key: 'x', first: 0, last: 0, seq: withNew, dropped: 0 }])).toHaveLength(1);
    // Bounded: beyond maxTemplates a new template is not counted.
    const small = new SessionTracker(null, { ...P, maxTemplates: 6 });
    small.judge(seqs(3).map((seq, k) => ({ key: `s${k}`, first: 0, last: 0, seq, dropped: 0 })));
    small.judge([{ key: 'y', first: 0, last: 0, seq: ['T30', 'T31'], dropped: 0 }]);
    expect(Object.keys(small.model.seen ?? {})).toHaveLength(6);
  });

  it('open sessions are bounded: beyond maxOpenSessions the least recently touched closes', () => {
    const tr = new SessionTracker(null, { ...SESSION_PARAMS, maxOpenSessions: 2 });
    expect(tr.add('a', 'T1', 1)).toEqual([]);
    tr.add('b', 'T1', 2);
    tr.add('a', 'T2', 3);
    const closed = tr.add('c', 'T1', 4);
    expect(closed.map((c) => c.key)).toEqual(['b']);
    expect(tr.openSessions).toBe(2);
  });
});

describe('the stream path (workers/score.ts): HDFS-style log lines grouped by their blk_ id', () => {
  // 120 blocks, each a normal write sequence of 13 lines (a new block every 2 minutes, its lines
  // 1 s apart); block 100 is cut short after 'Receiving' with an exception. Then idle lines.
  const lines: ScoreInput[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  const normal = ['allocate', 'recv', 'recv', 'recv', 'stored', 'stored', 'stored', 'term', 'got', 'term', 'got', 'term', 'got'];
  const textOf = (step: string, b: number, k: number): string => {
    const blk = `blk_${-1000 - b * 7919}`;
    switch (step) {
      case 'allocate': return `INFO dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: /user/job_${b}/part-${k} ${blk}`;
      case 'recv': return `INFO dfs.DataNode$DataXceiver: Receiving block ${blk} src: /10.0.${b % 250}.${k}:50010 dest: /10.0.1.${k}:50010`;
      case 'stored': return `INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.0.2.${k}:50010 is added to ${blk} size 67108864`;
      case 'term': return `INFO dfs.DataNode$PacketResponder: PacketResponder ${k % 3} for block ${blk} terminating`;
      case 'got': return `INFO dfs.DataNode$PacketResponder: Received block ${blk} of size 67108864 from /10.0.3.${k}`;
      default: return `WARN dfs.DataNode: writeBlock ${blk} received exception java.io.IOException: Connection reset by peer`;
    }
  };
  for (let b = 0; b < 120; b++) {
    const steps = b === 100 ? ['allocate', 'recv', 'recv', 'exception'] : normal;
    steps.forEach((step, k) => lines.push({ ts: t0 + b * 120_000 + k * 1000, text: textOf(step, b, k) }));
  }
  for (let k = 0; k < 5; k++) lines.push({ ts: t0 + 121 * 120_000 + 600_000 + k * 1000, text: `INFO heartbeat ${k}` });

  const run = (batch: number): Finding[] => {
    let state: Uint8Array | null = null;
    let sessionState: Uint8Array | null = null;
    const out: Finding[] = [];
    for (let off = 0; off < lines.length; off += batch) {
      const r = score({ ...task('logs', lines.slice(off, off + batch), state), sessionState });
      if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
      for (const f of r.findings) if (f.detector === SESSION_DETECTOR) out.push({ ...f, index: f.index + off });
      state = r.state;
      sessionState = r.sessionState ?? null;
    }
    return out;
  };

  it('the cut-short block is one session finding, on the line that closed it; the same whatever the batches', () => {
    const whole = run(lines.length);
    expect(whole.map((f) => f.details.session)).toEqual([`blk_${-1000 - 100 * 7919}`]);
    expect(whole[0].explanation).toMatch(/^session blk_-792900 \(4 events\) has template counts/);
    // Closed by the first line more than idleGapMs (5 min) after its last: block 103's first.
    expect(lines[whole[0].index].ts - (t0 + 100 * 120_000 + 3000)).toBeGreaterThan(SESSION_PARAMS.idleGapMs);
    expect(run(97).map((f) => [f.index, f.details.session])).toEqual(whole.map((f) => [f.index, f.details.session]));
  });

  it('a stream without session keys gets no session state', () => {
    const r = score(task('logs', [{ ts: 1, text: 'GET /index.html 200' }], null));
    expect(r.ok && r.sessionState).toBeUndefined();
  });
});

describe('eval sessions', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'driftwatch-sessions-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  // 400 normal sessions and 40 anomalous ones (a truncated block, repeated): half of each in test.
  const sessions: LabelledSession[] = [];
  for (let i = 0; i < 440; i++) {
    const anomalous = i >= 400;
    sessions.push({ id: `blk_${i}`, anomalous, split: i % 2 === 0 ? 'train' : 'test', seq: (anomalous ? 'T5 T1 T1 T8' : NORMAL[i % 3]).split(' ') });
  }
  const csv = ['BlockId,Label,DeepLoglizerSplit,Length,TemplateSequence', ...sessions.map((s) => `${s.id},${s.anomalous ? 1 : 0},${s.split},${s.seq.length},${s.seq.join(' ')}`)].join('\n') + '\n';

  it('parses sessions.csv and rejects a bad split or label with the line number', () => {
    expect(parseSessionsCsv(csv, 'x')).toEqual(sessions);
    expect(() => parseSessionsCsv('BlockId,Label,DeepLoglizerSplit,TemplateSequence\nb,0,dev,T1\n', 'f.csv')).toThrow(/f.csv line 2: split "dev" is neither train nor test/);
    expect(() => parseSessionsCsv('BlockId,Label,DeepLoglizerSplit,TemplateSequence\nb,x,train,T1\n', 'f.csv')).toThrow(/unknown label/);
    expect(() => parseSessionsCsv('BlockId,Label,TemplateSequence\n', 'f.csv')).toThrow(/no split/);
  });

  it('the validation fifth is stable and about a fifth', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `blk_${i}`);
    const n = ids.filter(inValidation).length;
    expect(n).toBeGreaterThan(150);
    expect(n).toBeLessThan(250);
    expect(ids.filter(inValidation)).toEqual(ids.filter(inValidation));
    const sizes = [0, 1, 2, 3, 4].map((k) => ids.filter((id) => foldOf(id) === k).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const n of sizes) expect(n).toBeGreaterThan(150);
  });

  it('the ceiling: the best F1 of any function of the sequence, from the test labels', () => {
    const t = (seq: string, anomalous: boolean): LabelledSession => ({ id: seq, anomalous, split: 'test', seq: seq.split(' ') });
    // Group A: 3 anomalies alone; group B: 1 anomaly among 3 normal; group C: normal only; B as C's counts reordered.
    const test = [t('A', true), t('A', true), t('A', true), t('B C', true), t('B C', false), t('B C', false), t('B C', false), t('C B', false), t('D', false)];
    const c = sessionsCeiling(test);
    // Flag A only: tp 3, fn 1 → 6/7; A and B: tp 4, fp 3 → 8/11.
    expect(c.f1).toBeCloseTo(6 / 7, 12);
    expect(c.f1_no_false_alarms).toBeCloseTo(6 / 7, 12);
    expect(c.counts_f1).toBeCloseTo(6 / 7, 12);
    const all = sessionsCeiling([t('A', true), t('A', false)]);
    expect(all).toMatchObject({ f1: 2 / 3, f1_no_false_alarms: 0 });
  });

  it('reference of normal train sessions: every repeated anomaly found, no false alarm; rule all keeps the anomalies in the reference', () => {
    writeFileSync(join(tmp, 'sessions.csv'), csv);
    const r = evalSessions({ data: tmp });
    expect(r.normal).toMatchObject({ tp: 20, fp: 0, fn: 0, f1: 1, reference: 'normal', reference_sessions: 200, indistinguishable: 0 });
    expect(r.all.reference_sessions).toBe(220);
    const withAnomalies = fitSessions(sessions.filter((s) => s.split === 'train').map((s) => s.seq));
    const clean = fitSessions(sessions.filter((s) => s.split === 'train' && !s.anomalous).map((s) => s.seq));
    const truncated = 'T5 T1 T1 T8'.split(' ');
    expect(scoreSession(withAnomalies, truncated).excessBits).toBeLessThan(scoreSession(clean, truncated).excessBits);
    // A test anomaly with a normal sequence is counted as indistinguishable.
    const twin = sessions.map((s, i) => (i === 401 ? { ...s, seq: NORMAL[0].split(' ') } : s));
    expect(evalSessionsRule(twin, 'normal')).toMatchObject({ indistinguishable: 1, fn: 1 });
    expect(() => evalSessions({ data: join(tmp, 'nope') })).toThrow(/no such directory/);
  });

  it('driftwatch eval sessions: one line per reference rule, the figures in --json, bad flags refused', async () => {
    writeFileSync(join(tmp, 'sessions.csv'), csv);
    const out: string[] = [];
    const io = { out: (l: string) => { out.push(l); }, progress: () => {}, done: () => {} };
    const json = join(tmp, 'figures.json');
    await runEval('sessions', { '--data': tmp, '--json': json }, io);
    expect(out[0]).toMatch(/^sessions: precision 1\.000 recall 1\.000 f1 1\.000 .*\(220 test sessions; tp 20, fp 0, fn 0; reference: the 200 normal train sessions/);
    expect(out[1]).toMatch(/^sessions, no labels: /);
    expect(out[2]).toMatch(/^sessions: 0 of 20 test anomalies have the very template sequence of a normal train session/);
    expect(out[3]).toMatch(/^sessions, engine defaults: precision \d/);
    expect(out[4]).toMatch(/^sessions, ceiling \(computed with the test labels: a bound, not a result\): .* at most F1 1\.000/);
    const figures = JSON.parse(readFileSync(json, 'utf8')) as { sessions: { f1: number; sessions: number; no_labels: { reference_sessions: number } } };
    expect(figures.sessions).toMatchObject({ f1: 1, sessions: 220, no_labels: { reference_sessions: 220 } });
    await expect(runEval('sessions', {}, io)).rejects.toThrow(/eval sessions needs --data/);
    await expect(runEval('sessions', { '--data': tmp, '--events': 'x' }, io)).rejects.toThrow(/--events is not an option of eval sessions/);
  });
});
