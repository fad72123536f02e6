// The bytes of a WebSocket tunnel once the handshake is sent on, both ways:
//
//   client ─ data ─▶ FrameScanner(fromClient) ── ok ──▶ engine (the same bytes, backpressure kept)
//                      │ violation (1007 not UTF-8, 1002 framing)
//                      ├─▶ engine: the whole frames before it, then a close frame, then FIN
//                      │   (FIN only, when the bad frame's start was already sent on)
//                      └─▶ client: a close frame with the code and reason, put in at the engine
//                          direction's next frame boundary; what the engine sends after it is dropped
//   engine ─ data ─▶ the answer's head (101: frames follow; another status: raw bytes, unchecked)
//                  ─▶ FrameScanner(server), boundaries only ─▶ client
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeFrame, FrameScanner, type Violation } from './ws-frames.js';

/** The longest engine answer head read before frames (the engine's 101 is a few hundred bytes). */
const MAX_ANSWER_HEAD = 16 * 1024;

type Mode = 'handshake' | 'frames' | 'raw';

/** The engine's answer head read so far, with a chunk: the mode it sets, and how much of the chunk is head. */
function readAnswerHead(seen: string, chunk: Buffer): { head: string; mode: Mode; rest: number } {
  const head = seen + chunk.toString('latin1', 0, Math.min(chunk.length, MAX_ANSWER_HEAD));
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return { head, mode: head.length < MAX_ANSWER_HEAD ? 'handshake' : 'raw', rest: chunk.length };
  return { head, mode: /^HTTP\/1\.1 101 /.test(head) ? 'frames' : 'raw', rest: end + 4 - seen.length };
}

/**
 * Pipes client and engine into each other, checking the client's frames. `onViolation` is told
 * once (for counting); `closeAfterMs` bounds how long the client may wait for its close frame.
 */
export function joinTunnel(client: Duplex, engine: Socket, onViolation: (v: Violation) => void, closeAfterMs: number): void {
  const fromClient = new FrameScanner(true);
  const toClient = new FrameScanner(false);
  let mode: Mode = 'handshake';
  let answerHead = '';
  let failed: Violation | undefined;

  const closeClient = (): void => {
    if (failed === undefined || client.destroyed) return;
    client.end(closeFrame(failed.code, failed.reason, false));
  };

  const fail = (v: Violation, chunk: Buffer): void => {
    failed = v;
    onViolation(v);
    client.removeListener('data', onClientData);
    client.resume();
    if (mode !== 'frames') {
      // Not a WebSocket yet: no close frame can be put in.
      client.destroy();
      engine.destroy();
      return;
    }
    if (v.at >= 0) {
      if (v.at > 0) engine.write(chunk.subarray(0, v.at));
      engine.end(closeFrame(v.code, v.reason, true));
    } else {
      engine.end();
    }
    if (toClient.atBoundary) closeClient();
    setTimeout(() => client.destroy(), closeAfterMs).unref();
  };

  const onClientData = (chunk: Buffer): void => {
    if (mode !== 'raw') {
      const v = fromClient.scan(chunk);
      if (v !== undefined) return fail(v, chunk);
    }
    if (!engine.write(chunk)) client.pause();
  };

  const toClientFrames = (chunk: Buffer): void => {
    if (failed !== undefined) {
      if (client.writableEnded) return;
      const n = toClient.untilBoundary(chunk);
      if (n < 0) {
        client.write(chunk);
        return;
      }
      if (n > 0) client.write(chunk.subarray(0, n));
      closeClient();
      return;
    }
    toClient.scan(chunk);
    if (!client.write(chunk)) engine.pause();
  };

  const onEngineData = (chunk: Buffer): void => {
    if (mode === 'handshake') {
      const a = readAnswerHead(answerHead, chunk);
      answerHead = a.head;
      mode = a.mode;
      if (!client.write(chunk.subarray(0, a.rest)) && a.rest === chunk.length) engine.pause();
      if (a.rest < chunk.length) onEngineData(chunk.subarray(a.rest));
      return;
    }
    if (mode === 'raw') {
      if (!client.write(chunk)) engine.pause();
      return;
    }
    toClientFrames(chunk);
  };

  client.on('data', onClientData);
  engine.on('data', onEngineData);
  engine.on('drain', () => client.resume());
  client.on('drain', () => engine.resume());
  client.once('end', () => { if (failed === undefined) engine.end(); });
  engine.once('end', () => { if (failed === undefined || toClient.atBoundary) client.end(); });
}
