// A raw HTTP/1.1 request over a socket, for what fetch() will not send: a body sent slowly or
// never finished, a malformed Content-Length, two Host headers, an absolute-form target.
// Used by test/adversarial and test/engine/sources-auth.test.ts.
import { connect, type Socket } from 'node:net';

export interface RawResponse { status: number; headers: Record<string, string>; body: string }

export class RawRequest {
  readonly socket: Socket;
  #data = '';
  #ended = false;
  #waiters: (() => void)[] = [];

  /**
   * Sends `head` (the request line and headers, without the blank line) and `first` bytes of body;
   * with `wire`, `head` is sent as it is, in one write (pipelined requests).
   */
  constructor(port: number, head: string, first: string | Buffer = '', wire = false) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.#data += d; this.#wake(); });
    this.socket.on('close', () => { this.#ended = true; this.#wake(); });
    this.socket.on('error', () => {});
    this.socket.write(wire ? head : `${head}\r\n\r\n`);
    if (first.length > 0) this.socket.write(first);
  }

  /** Sends `bytes` (whole requests, heads and bodies) in a single write. */
  static wire(port: number, bytes: string): RawRequest {
    return new RawRequest(port, bytes, '', true);
  }

  /** Everything the server sent so far (latin1). */
  get data(): string { return this.#data; }

  /** An ingest POST declaring `length` bytes, with `first` of them sent now. */
  static post(port: number, path: string, authorization: string, length: number | string, first: string | Buffer = '', contentType = 'application/json'): RawRequest {
    return new RawRequest(port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
      `Authorization: ${authorization}\r\nContent-Length: ${length}`, first);
  }

  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }

  get ended(): boolean { return this.#ended; }

  /** True once the response's status line and headers have arrived (the body may still be coming). */
  get answered(): boolean { return this.#data.includes('\r\n\r\n'); }

  /** Resolves once the server closed the connection (or after `ms`, with false). */
  async closedByServer(ms = 5_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#wait(left);
    }
    return true;
  }

  #wait(ms: number): Promise<void> {
    return new Promise<void>((r) => { const t = setTimeout(r, ms); this.#waiters.push(() => { clearTimeout(t); r(); }); });
  }

  /** Waits for a complete response (by its Content-Length), or fails after `ms`. */
  async response(ms = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const head = this.#data.indexOf('\r\n\r\n');
      if (head >= 0) {
        const lines = this.#data.slice(0, head).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const body = this.#data.slice(head + 4);
        if (body.length >= Number(headers['content-length'] ?? 0)) return { status: Number(lines[0].split(' ')[1]), headers, body };
      }
      if (this.#ended) throw new Error(`connection closed without a complete response: ${JSON.stringify(this.#data.slice(0, 200))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${ms} ms (got ${JSON.stringify(this.#data.slice(0, 200))})`);
      await this.#wait(left);
    }
  }

  /** The status of the response once its status line arrived. */
  get status(): number | undefined {
    return this.answered ? Number(this.#data.slice(0, this.#data.indexOf('\r\n')).split(' ')[1]) : undefined;
  }

  send(rest: string | Buffer): void { if (!this.#ended) this.socket.write(rest); }

  /**
   * Sends `rest` as a client that reads before it writes more: after the event loop's next poll for
   * input (setImmediate), and not at all once an answer or the close arrived. A server that answers
   * and closes while our bytes are still unread on its side resets the connection; a write of ours
   * that comes before we read (send() from a timer that runs right after the server's own timer
   * answered) then fails with EPIPE, and Node destroys the socket with the answer unread: "closed
   * without a complete response" although the answer was sent.
   */
  sendAfterRead(rest: string | Buffer): void {
    setImmediate(() => { if (!this.answered && !this.#ended) this.socket.write(rest); });
  }

  destroy(): void { this.socket.destroy(); }
}
