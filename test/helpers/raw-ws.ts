// A WebSocket client over a raw socket, for frames the `ws` library will not send: invalid UTF-8
// in a text frame, unmasked frames, a message split at any byte (inside a frame header, inside a
// UTF-8 character). Frames from the server are parsed (unmasked, any split).
import { connect, type Socket } from 'node:net';

export interface ServerFrame { fin: boolean; opcode: number; payload: Buffer }

/** One client frame: masked with `mask` (4 bytes) unless it is null. */
export function wsFrame(opcode: number, payload: Buffer | string, opts: { fin?: boolean; mask?: Buffer | null } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const mask = opts.mask === undefined ? Buffer.from([0x37, 0xfa, 0x21, 0x3d]) : opts.mask;
  const len = data.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask === null ? 0 : 4));
  head[0] = ((opts.fin ?? true) ? 0x80 : 0) | opcode;
  head[1] = (mask === null ? 0 : 0x80) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (mask === null) return Buffer.concat([head, data]);
  mask.copy(head, 2 + ext);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, body]);
}

export class RawWebSocket {
  readonly socket: Socket;
  readonly frames: ServerFrame[] = [];
  status = 0;
  ended = false;
  #buf = Buffer.alloc(0);
  #upgraded = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#parse(); this.#wake(); });
    socket.on('close', () => { this.ended = true; this.#wake(); });
    socket.on('error', () => {});
  }

  /** Opens `path` on 127.0.0.1:port with `headers` (Host among them); resolves once the answer's head has come. */
  static async open(port: number, path: string, headers: Record<string, string>): Promise<RawWebSocket> {
    const c = new RawWebSocket(connect(port, '127.0.0.1'));
    const lines = [`GET ${path} HTTP/1.1`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    c.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    await c.until(() => c.status !== 0, 5_000, 'the handshake answer');
    return c;
  }

  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }

  #parse(): void {
    if (!this.#upgraded) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = Number(this.#buf.toString('latin1', 0, end).split(' ')[1]);
      this.#upgraded = true;
      this.#buf = this.#buf.subarray(end + 4);
    }
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      const len7 = b[1] & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      if (b.length < 2 + ext) return;
      const len = ext === 0 ? len7 : ext === 2 ? b.readUInt16BE(2) : Number(b.readBigUInt64BE(2));
      if (b.length < 2 + ext + len) return;
      this.frames.push({ fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload: b.subarray(2 + ext, 2 + ext + len) });
      this.#buf = b.subarray(2 + ext + len);
    }
  }

  /** Waits until `ok()` holds, or fails after `ms` with what came. */
  async until(ok: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      const left = deadline - Date.now();
      if (left <= 0 || (this.ended && !ok())) {
        throw new Error(`no ${what} within ${ms} ms (ended: ${this.ended}; frames: ${JSON.stringify(this.frames.map((f) => [f.opcode, f.payload.toString('latin1')]))})`);
      }
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.#waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** The JSON text message answering `seq` (ack or nack). */
  async answer(seq: number, ms = 10_000): Promise<Record<string, unknown>> {
    const find = (): Record<string, unknown> | undefined => this.frames.filter((f) => f.opcode === 1)
      .map((f) => JSON.parse(f.payload.toString('utf8')) as Record<string, unknown>).find((m) => m.ack === seq || m.nack === seq);
    await this.until(() => find() !== undefined, ms, `answer to seq ${seq}`);
    return find()!;
  }

  /** The close frame the server sent: its code and reason. */
  async closeFrame(ms = 5_000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.frames.some((f) => f.opcode === 8), ms, 'close frame');
    const f = this.frames.find((x) => x.opcode === 8)!;
    return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString('utf8') };
  }

  /** Writes the bytes in pieces cut at `cuts` (offsets), each piece its own write, a pause between them. */
  async sendInPieces(bytes: Buffer, cuts: number[]): Promise<void> {
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      this.socket.write(bytes.subarray(at, cut));
      at = cut;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  send(bytes: Buffer): void { this.socket.write(bytes); }
  destroy(): void { this.socket.destroy(); }
}
