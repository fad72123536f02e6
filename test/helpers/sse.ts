// A small Server-Sent Events reader (node:http, one connection of its own that close() destroys):
// collects `event:` / `data:` messages as they arrive.
import http from 'node:http';
export interface SseMessage { event: string; data: string; at: number }

export interface SseClient {
  status: number;
  body: string;
  messages: SseMessage[];
  /** Resolves with the first message of this event name after `from` (index) that passes `ok`. */
  next(event: string, ms: number, ok?: (m: SseMessage) => boolean): Promise<SseMessage>;
  close(): void;
}

export async function openSse(url: string, token: string): Promise<SseClient> {
  let req!: http.ClientRequest;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req = http.get(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, resolve);
    req.on('error', reject);
  });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const client: SseClient = {
    status: res.statusCode ?? 0, body: '', messages,
    next(event, ms, ok = () => true) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = messages.find((x) => x.event === event && ok(x));
          if (m === undefined) return false;
          clearTimeout(timer); waiters.delete(onMsg); resolve(m);
          return true;
        };
        const onMsg = (): void => { check(); };
        const timer = setTimeout(() => { waiters.delete(onMsg); reject(new Error(`no ${event} message within ${ms} ms (${messages.length} messages)`)); }, ms);
        if (!check()) waiters.add(onMsg);
      });
    },
    close() { req.destroy(); },
  };
  res.setEncoding('utf8');
  if (res.statusCode !== 200) {
    for await (const c of res) client.body += c as string;
    return client;
  }
  void (async () => {
    let buf = '';
    try {
      for await (const value of res) {
        buf += value as string;
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) {
            messages.push({ event, data: data.join('\n'), at: Date.now() });
            for (const w of [...waiters]) w();
          }
        }
      }
    } catch { /* aborted */ }
  })();
  return client;
}
