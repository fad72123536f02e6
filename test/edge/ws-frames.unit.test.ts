// FrameScanner (src/edge/ws-frames.ts) on random splits: a message of valid UTF-8, in random
// fragments, with pings between them, written in random chunks, is never refused and leaves the
// scanner at a frame boundary; a byte that is never UTF-8 (FF, FE, C0, F5) put anywhere in it is
// always found (1007).
import { describe, expect, it } from 'vitest';
import { FrameScanner, type Violation } from '../../src/edge/ws-frames.js';
import { wsFrame } from '../helpers/raw-ws.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

const ALPHABET = ['a', '{', '"', 'é', '€', '😀', '𝄞', 'ü', ' ', '✓'];

function message(r: () => number, chars: number): Buffer {
  let s = '';
  for (let i = 0; i < chars; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return Buffer.from(s, 'utf8');
}

/** The message as fragments cut at random bytes, a ping after some, as one byte stream. */
function framed(r: () => number, text: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  let first = true;
  while (at < text.length) {
    const n = Math.min(text.length - at, 1 + Math.floor(r() * 300));
    const last = at + n === text.length;
    out.push(wsFrame(first ? 1 : 0, text.subarray(at, at + n), { fin: last, mask: Buffer.from([r() * 256, r() * 256, r() * 256, r() * 256]) }));
    if (!last && r() < 0.3) out.push(wsFrame(9, 'p'));
    first = false;
    at += n;
  }
  return Buffer.concat(out);
}

function scanInChunks(r: () => number, bytes: Buffer, s = new FrameScanner(true)): { v: Violation | undefined; s: FrameScanner } {
  let at = 0;
  while (at < bytes.length) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(r() * 40));
    const v = s.scan(bytes.subarray(at, at + n));
    if (v !== undefined) return { v, s };
    at += n;
  }
  return { v: undefined, s };
}

describe('FrameScanner', () => {
  it('valid UTF-8 in random fragments and chunks: never refused, ends at a boundary (300 cases)', () => {
    const r = rng(1);
    for (let i = 0; i < 300; i++) {
      const bytes = framed(r, message(r, 1 + Math.floor(r() * 400)));
      const { v, s } = scanInChunks(r, bytes);
      expect(v).toBeUndefined();
      expect(s.atBoundary).toBe(true);
      expect(new FrameScanner(true).scan(bytes)).toBeUndefined();
    }
  });

  it('a 200 KB message in one frame, in one chunk and in 64 KB chunks (the scratch buffer grows); a bad byte near its end: 1007', () => {
    const r = rng(3);
    const text = message(r, 60_000);
    const frame = wsFrame(1, text, { mask: Buffer.from([1, 0x80, 0xfe, 7]) });
    expect(new FrameScanner(true).scan(frame)).toBeUndefined();
    const s = new FrameScanner(true);
    for (let at = 0; at < frame.length; at += 65_531) expect(s.scan(frame.subarray(at, at + 65_531))).toBeUndefined();
    text[text.length - 5] = 0xff;
    expect(new FrameScanner(true).scan(wsFrame(1, text))?.code).toBe(1007);
  });

  it('one invalid byte anywhere in the text: 1007 (300 cases); the same in a binary message passes', () => {
    const r = rng(2);
    for (let i = 0; i < 300; i++) {
      const text = message(r, 1 + Math.floor(r() * 400));
      text[Math.floor(r() * text.length)] = [0xff, 0xc0, 0xf5, 0xfe][i % 4];
      expect(scanInChunks(r, framed(r, text)).v?.code).toBe(1007);
      expect(scanInChunks(r, wsFrame(2, text)).v).toBeUndefined();
    }
  });

  it('a text message ending inside a character: 1007; framing errors: 1002', () => {
    expect(new FrameScanner(true).scan(wsFrame(1, Buffer.from([0x61, 0xe2, 0x82])))?.code).toBe(1007);
    expect(new FrameScanner(true).scan(wsFrame(1, 'x', { mask: null }))?.code).toBe(1002);
    expect(new FrameScanner(true).scan(wsFrame(0, 'x'))?.code).toBe(1002);
    expect(new FrameScanner(true).scan(Buffer.concat([wsFrame(1, 'x', { fin: false }), wsFrame(2, 'y')])))
      .toMatchObject({ code: 1002, at: 7 });
    expect(new FrameScanner(true).scan(wsFrame(9, 'x'.repeat(126)))?.code).toBe(1002);
    expect(new FrameScanner(true).scan(wsFrame(3, 'x'))?.code).toBe(1002);
    const rsv = wsFrame(1, 'x');
    rsv[0] |= 0x40;
    expect(new FrameScanner(true).scan(rsv)?.code).toBe(1002);
  });

  it('untilBoundary: the bytes that finish the current frame', () => {
    const s = new FrameScanner(false);
    const two = Buffer.concat([wsFrame(1, 'hello', { mask: null }), wsFrame(1, 'world', { mask: null })]);
    expect(s.scan(two.subarray(0, 4))).toBeUndefined();
    expect(s.atBoundary).toBe(false);
    expect(s.untilBoundary(two.subarray(4))).toBe(3);
    expect(s.atBoundary).toBe(true);
  });
});
