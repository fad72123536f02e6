import { describe, expect, it } from 'vitest';
import { Answers, type Answered, type AnswerSocket } from '../../engine/sources/ws-answers.js';

/** A stand-in for uWS's WebSocket: records corks, sends and ends; `full` makes sends report a drop (2). */
function socket(full = Infinity): AnswerSocket & { corks: number; sent: string[]; ended: number | undefined } {
  const s = {
    corks: 0, sent: [] as string[], ended: undefined as number | undefined,
    cork(cb: () => void) { s.corks++; cb(); return s; },
    send(m: string | Uint8Array) { if (s.sent.length >= full) return 2; s.sent.push(String(m)); return 1; },
    end(code?: number) { s.ended = code; },
  };
  return s;
}
const conn = (): Answered => ({ closed: false, out: [] });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WebSocket answers (ws-answers.ts)', () => {
  it('writes the answers of one turn in one cork, in order, per connection', async () => {
    const a = new Answers<Answered>();
    const w1 = socket(); const c1 = conn();
    const w2 = socket(); const c2 = conn();
    a.answer(w1, c1, '{"ack":1}', false);
    a.answer(w2, c2, '{"ack":7}', false);
    a.answer(w1, c1, '{"nack":2}', false);
    a.answer(w1, c1, '{"ack":3}', false);
    expect(w1.sent).toEqual([]);
    await turn();
    expect(w1.corks).toBe(1);
    expect(w1.sent).toEqual(['{"ack":1}', '{"nack":2}', '{"ack":3}']);
    expect(w2.corks).toBe(1);
    expect(w2.sent).toEqual(['{"ack":7}']);
    a.answer(w1, c1, '{"ack":4}', false);
    await turn();
    expect(w1.corks).toBe(2);
    expect(w1.sent.at(-1)).toBe('{"ack":4}');
  });

  it('answers queued by promise continuations are written once those have run, before the next I/O or immediate callback', async () => {
    const a = new Answers<Answered>();
    const w = socket(); const c = conn();
    let seenByImmediate = -1;
    setImmediate(() => { seenByImmediate = w.sent.length; });
    // As a group commit's acks: one resolved promise, several continuations.
    const committed = Promise.resolve();
    await Promise.all([1, 2, 3].map((seq) => committed.then(() => a.answer(w, c, `{"ack":${seq}}`, false))));
    await turn();
    expect(seenByImmediate).toBe(3);
    expect(w.corks).toBe(1);
    expect(w.sent).toEqual(['{"ack":1}', '{"ack":2}', '{"ack":3}']);
  });

  it('flush writes at once (before an end), and nothing twice', async () => {
    const a = new Answers<Answered>();
    const w = socket(); const c = conn();
    a.answer(w, c, '{"nack":5}', false);
    a.flush(w, c);
    expect(w.sent).toEqual(['{"nack":5}']);
    c.closed = true;
    await turn();
    expect(w.sent).toEqual(['{"nack":5}']);
    expect(w.corks).toBe(1);
  });

  it('a closed or forgotten connection gets nothing; a dropped send ends it with 1013', async () => {
    const a = new Answers<Answered>();
    const closed = socket(); const cc = conn();
    a.answer(closed, cc, '{"ack":1}', false);
    cc.closed = true;
    a.answer(closed, cc, '{"ack":2}', false);
    const gone = socket(); const cg = conn();
    a.answer(gone, cg, '{"ack":1}', false);
    a.forget(gone, cg);
    const full = socket(1); const cf = conn();
    a.answer(full, cf, '{"ack":1}', false);
    a.answer(full, cf, '{"ack":2}', false);
    a.answer(full, cf, '{"ack":3}', false);
    await turn();
    expect(closed.corks + gone.corks).toBe(0);
    expect(full.sent).toEqual(['{"ack":1}']);
    expect(full.ended).toBe(1013);
    expect(cf.closed).toBe(true);
    a.answer(full, cf, '{"ack":4}', false);
    await turn();
    expect(full.sent).toEqual(['{"ack":1}']);
  });
});
