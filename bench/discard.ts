// The ceiling's upstream: POST /api/v1/events/ingest on a uWS app that decodes each JSON body
// and discards it, answering {"accepted": n} (ingest.bench's http_decode_discard, edge.bench's upstream).
import type uWS from 'uWebSockets.js';

export function decodeDiscardIngest(app: uWS.TemplatedApp): void {
  app.post('/api/v1/events/ingest', (res) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const chunks: Buffer[] = [];
    res.onData((chunk, isLast) => {
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (!isLast || aborted) return;
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
      res.cork(() => { res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(`{"accepted":${events.length}}`); });
    });
  });
}
