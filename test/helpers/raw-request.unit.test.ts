// The TCP reset race behind test/adversarial/ingest-starvation.test.ts's "connection closed
// without a complete response" under load: a server answers and closes while bytes of ours are
// still unread on its side (a reset), and our next write comes before we read the answer.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawRequest } from './raw-request.js';

const ANSWER = 'HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';
let server: Server | undefined;
afterEach(async () => { await new Promise((r) => server?.close(r)); server = undefined; });

/** A server that reads nothing; `answerAndClose()` writes the answer and closes, our bytes unread. */
async function listen(): Promise<{ port: number; accepted: Promise<Socket> }> {
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((r) => { accept = r; });
  server = createServer({ pauseOnConnect: true }, (s) => accept(s));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, accepted };
}

async function race(write: (r: RawRequest) => void): Promise<string> {
  const { port, accepted } = await listen();
  const r = RawRequest.post(port, '/x', 'Bearer k', 1000, '[' + ' '.repeat(100));
  const s = await accepted;
  await new Promise((done) => setTimeout(done, 50)); // our first bytes are in its buffer, unread
  // One timer callback, as the engine's slow-body check and the test's trickle in one timer phase.
  await new Promise<void>((done) => setTimeout(() => {
    s.write(ANSWER);
    s.destroy(); // closed with unread input: a reset
    write(r);
    done();
  }, 0));
  return r.response(2_000).then((x) => `${x.status}`, (e: Error) => e.message);
}

describe('RawRequest against a server that answers and closes while we send', () => {
  it('send() straight after the close: the write fails and the answer is lost (the race)', async () => {
    expect(await race((r) => r.send(' '))).toMatch(/closed without a complete response/);
  });

  it('sendAfterRead(): the answer is read first', async () => {
    expect(await race((r) => r.sendAfterRead(' '))).toBe('408');
  });
});
