// WebSocket frames in an edge tunnel, read as the bytes pass (RFC 6455 §5.2; pure, no I/O):
//
//   client ─ chunk ─▶ FrameScanner(fromClient) ─ nothing wrong: the same bytes ─▶ engine
//                      │ frame headers parsed across chunk boundaries; text-message payloads
//                      │ unmasked into a scratch buffer only to check UTF-8 (across fragments,
//                      │ a split character carried over: at most 3 bytes)
//                      └ a violation: { code 1007 | 1002, reason, at }
//   engine ─ chunk ─▶ FrameScanner(server) ─▶ client   (frame boundaries only: where a close
//                                                        frame may be put in)
//
// The engine (uWebSockets.js) drops a connection whose text message is not UTF-8 without a
// close frame (the client sees 1006); the edge sends 1007 instead (README "Malformed framing
// sent straight to the engine"). The engine negotiates no extension, so a reserved bit is 1002.
import { isUtf8 } from 'node:buffer';

export interface Violation {
  code: 1002 | 1007;
  reason: string;
  /** Where the offending frame's header starts in the chunk scanned, or -1 if it began in an earlier chunk. */
  at: number;
}

const NO_MESSAGE = 0;
const TEXT = 1;
const BINARY = 2;

export class FrameScanner {
  readonly #fromClient: boolean;
  readonly #head = Buffer.alloc(14);
  #headLen = 0;
  #headNeed = 2;
  /** Payload bytes left in the current frame; -1 while a header is being read. */
  #left = -1;
  #fin = false;
  #opcode = 0;
  #masked = false;
  #maskPos = 0;
  /** The current frame's payload belongs to a text message (client direction only). */
  #checkText = false;
  #message = NO_MESSAGE;
  #carryLen = 0;
  // Its own ArrayBuffer (offset 0), so that #words covers it 4-byte aligned.
  #scratch = Buffer.allocUnsafeSlow(16 * 1024);
  #words = new Int32Array(this.#scratch.buffer, 0, this.#scratch.length >> 2);
  readonly #key = new Uint8Array(4);
  readonly #key32 = new Int32Array(this.#key.buffer);
  #frameAt = -1;

  constructor(fromClient: boolean) {
    this.#fromClient = fromClient;
  }

  /** True between frames: a frame may be put in here. */
  get atBoundary(): boolean { return this.#left === -1 && this.#headLen === 0; }

  /** Reads a chunk; undefined if it breaks no rule (the server direction is never checked). */
  scan(chunk: Buffer): Violation | undefined {
    this.#frameAt = this.atBoundary ? 0 : -1;
    let i = 0;
    while (i < chunk.length) {
      const r = this.#step(chunk, i);
      if (typeof r !== 'number') return r;
      i = r;
    }
    return undefined;
  }

  /** How many bytes of the chunk finish the current frame (0 at a boundary); -1 if it goes on past the chunk. */
  untilBoundary(chunk: Buffer): number {
    let i = 0;
    while (!this.atBoundary) {
      if (i >= chunk.length) return -1;
      const r = this.#step(chunk, i);
      if (typeof r !== 'number') return -1;
      i = r;
    }
    return i;
  }

  #fail(code: 1002 | 1007, reason: string): Violation {
    return { code, reason, at: this.#frameAt };
  }

  /** Reads header bytes or one run of payload from chunk[i..]; the next offset, or a violation. */
  #step(chunk: Buffer, i: number): number | Violation {
    if (this.#left === -1) {
      if (this.#headLen === 0) this.#frameAt = i;
      const take = Math.min(this.#headNeed - this.#headLen, chunk.length - i);
      chunk.copy(this.#head, this.#headLen, i, i + take);
      this.#headLen += take;
      i += take;
      if (this.#headLen === 2) {
        const len7 = this.#head[1] & 0x7f;
        this.#headNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((this.#head[1] & 0x80) !== 0 ? 4 : 0);
      }
      if (this.#headLen < this.#headNeed) return i;
      const v = this.#frame();
      if (v !== undefined) return v;
      // #frame() set #left to the payload's length.
      if ((this.#left as number) === 0) {
        const end = this.#frameEnd();
        if (end !== undefined) return end;
      }
      return i;
    }
    const n = Math.min(this.#left, chunk.length - i);
    if (this.#checkText) {
      const v = this.#checkUtf8(chunk, i, n);
      if (v !== undefined) return v;
    }
    this.#left -= n;
    i += n;
    if (this.#left === 0) {
      const end = this.#frameEnd();
      if (end !== undefined) return end;
    }
    return i;
  }

  /** A whole header is in #head: its rules, then the payload follows. */
  #frame(): Violation | undefined {
    const h = this.#head;
    this.#fin = (h[0] & 0x80) !== 0;
    this.#opcode = h[0] & 0x0f;
    this.#masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    let len = len7;
    if (len7 === 126) len = h.readUInt16BE(2);
    else if (len7 === 127) {
      const hi = h.readUInt32BE(2);
      if (hi >= 0x200000) return this.#fail(1002, 'the frame length is over 2^53');
      len = hi * 0x1_0000_0000 + h.readUInt32BE(6);
    }
    this.#headLen = 0;
    this.#headNeed = 2;
    this.#left = len;
    this.#maskPos = 0;
    this.#checkText = false;
    if (!this.#fromClient) return undefined;
    if ((h[0] & 0x70) !== 0) return this.#fail(1002, 'a reserved bit is set (no extension was negotiated)');
    if (!this.#masked) return this.#fail(1002, 'a client frame must be masked');
    const op = this.#opcode;
    if (op >= 8) {
      if (op > 10) return this.#fail(1002, `unknown opcode ${op}`);
      if (!this.#fin || len > 125) return this.#fail(1002, 'a control frame must be one frame of at most 125 bytes');
      return undefined;
    }
    if (op === 0) {
      if (this.#message === NO_MESSAGE) return this.#fail(1002, 'a continuation frame without a message to continue');
    } else if (op === 1 || op === 2) {
      if (this.#message !== NO_MESSAGE) return this.#fail(1002, 'a new message began before the last one ended');
      this.#message = op === 1 ? TEXT : BINARY;
    } else {
      return this.#fail(1002, `unknown opcode ${op}`);
    }
    this.#checkText = this.#message === TEXT;
    return undefined;
  }

  /** The current frame's payload is all read. */
  #frameEnd(): Violation | undefined {
    this.#left = -1;
    if (this.#opcode >= 8 || !this.#fin) return undefined;
    const text = this.#message === TEXT;
    this.#message = NO_MESSAGE;
    if (text && this.#carryLen > 0) {
      this.#carryLen = 0;
      return this.#fail(1007, 'the text message ends inside a UTF-8 character');
    }
    return undefined;
  }

  /** Unmasks chunk[i, i + n) after the carried bytes and checks it; an incomplete last character is carried on. */
  #checkUtf8(chunk: Buffer, i: number, n: number): Violation | undefined {
    const total = this.#carryLen + n;
    if (this.#scratch.length < total) this.#grow(total);
    const s = this.#scratch;
    chunk.copy(s, this.#carryLen, i, i + n);
    this.#maskPos = this.#unmask(this.#carryLen, total);
    const last = n === this.#left && this.#fin;
    let split = total;
    if (!last) {
      // The last lead byte within the final 3: carry it on if its character is incomplete.
      for (let j = total - 1; j >= 0 && j >= total - 3; j--) {
        const b = s[j];
        if ((b & 0xc0) === 0x80) continue;
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (j + need > total) split = j;
        break;
      }
    }
    if (!isUtf8(s.subarray(0, split))) {
      this.#carryLen = 0;
      return this.#fail(1007, 'a text message is not valid UTF-8');
    }
    s.copy(s, 0, split, total);
    this.#carryLen = total - split;
    return undefined;
  }

  #grow(total: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(total, 2 * this.#scratch.length));
    this.#scratch.copy(next, 0, 0, this.#carryLen);
    this.#scratch = next;
    this.#words = new Int32Array(next.buffer, 0, next.length >> 2);
  }

  /** XORs scratch[from, end) with the mask from #maskPos on, 4 bytes at a time where aligned; the next mask position. */
  #unmask(from: number, end: number): number {
    const s = this.#scratch;
    const m = this.#head;
    const k = this.#headerMaskAt;
    let p = this.#maskPos;
    let o = from;
    for (; o < end && (o & 3) !== 0; o++, p = (p + 1) & 3) s[o] ^= m[k + p];
    const alignedEnd = end & ~3;
    if (o < alignedEnd) {
      // The key rotated to start at p, read as one word in the machine's byte order; p is the
      // same after a multiple of 4 bytes.
      const key = this.#key;
      for (let j = 0; j < 4; j++) key[j] = m[k + ((p + j) & 3)];
      const w = this.#key32[0];
      const words = this.#words;
      for (let x = o >> 2, xe = alignedEnd >> 2; x < xe; x++) words[x] ^= w;
      o = alignedEnd;
    }
    for (; o < end; o++, p = (p + 1) & 3) s[o] ^= m[k + p];
    return p;
  }

  /** Offset of the mask key in #head: after the 2, 4 or 10 header bytes. */
  get #headerMaskAt(): number {
    const len7 = this.#head[1] & 0x7f;
    return len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  }
}

/** A close frame: masked when it goes to the engine (as a client's must be), plain to the client. */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason.slice(0, 120), 'utf8').subarray(0, 123);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  // A zero mask key leaves the payload as it is; the engine accepts any key.
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}
