// The WebSocket source's answers (acks and nacks), written together per connection: the frames
// of one group commit are acknowledged by one chain of promise continuations (its COMMIT's
// result), and each ack written on its own cost a write(2) (uWS flushes at the end of every
// cork). Answers go out in one cork per connection once the current callback's microtasks have
// run (process.nextTick, scheduled from a continuation, runs after the promise queue drains),
// in the order they were queued, before any other I/O callback, so an ack waits for nothing
// else; setImmediate as well, for answers queued where Node does not run its tick queue after
// the callback (uWS's own callbacks). Before a connection is ended its queued answers are
// written first (flush).
//
//   answer(ws, payload) ─► conn.out ─► nextTick | setImmediate ─► ws.cork(send, send, …)
//                                   ╰─► flush(ws) (before ws.end); forget(ws) at uWS's close

/** What an answered connection keeps (the source's Conn has these fields). */
export interface Answered {
  closed: boolean;
  /** Answers not written yet, in order. */
  out: { payload: string | Uint8Array; isBinary: boolean }[];
}

/** The part of uWS's WebSocket the answers use. */
export interface AnswerSocket {
  cork(cb: () => void): unknown;
  send(message: string | Uint8Array, isBinary?: boolean): number;
  end(code?: number, reason?: string): void;
}

export class Answers<C extends Answered> {
  readonly #queued = new Map<AnswerSocket, C>();
  #scheduled = false;

  /** Queues an answer (dropped when the connection is closed); written at setImmediate. */
  answer(ws: AnswerSocket, c: C, payload: string | Uint8Array, isBinary: boolean): void {
    if (c.closed) return;
    c.out.push({ payload, isBinary });
    this.#queued.set(ws, c);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flushAll);
      setImmediate(this.#flushAll);
    }
  }

  readonly #flushAll = (): void => this.flushAll();

  /** Writes every connection's queued answers. */
  flushAll(): void {
    this.#scheduled = false;
    if (this.#queued.size === 0) return;
    const queued = [...this.#queued];
    this.#queued.clear();
    for (const [ws, c] of queued) this.flush(ws, c);
  }

  /**
   * Writes one connection's queued answers in one cork. A send uWS drops (its buffer full: the
   * client would wait for an answer that never comes) ends the connection (1013).
   */
  flush(ws: AnswerSocket, c: C): void {
    const out = c.out;
    if (out.length === 0) return;
    c.out = [];
    this.#queued.delete(ws);
    if (c.closed) return;
    let dropped = false;
    ws.cork(() => {
      for (const a of out) {
        if (ws.send(a.payload, a.isBinary) === 2) { dropped = true; break; }
      }
    });
    if (dropped) {
      c.closed = true;
      ws.end(1013, 'send buffer full; reconnect and resend unacknowledged batches');
    }
  }

  /** The connection closed (uWS's close: its socket must not be touched again): its answers are dropped. */
  forget(ws: AnswerSocket, c: C): void {
    c.out = [];
    this.#queued.delete(ws);
  }
}
