import { request } from 'node:http';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` until it returns a value that is not undefined, or fails after `ms`. `what` names
 * what was awaited; a function is called only at the timeout (a child's output as it is then).
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, ms: number, what: string | (() => string)): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A request to the edge proxy on 127.0.0.1:`port` with a given Host header (fetch cannot set
 * Host): GET without a body, POST of `body` (JSON) with it, Bearer `key`.
 */
export function viaEdge(port: number, host: string, path: string, key: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: body === undefined ? 'GET' : 'POST', path, agent: false, headers: {
      host, authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
