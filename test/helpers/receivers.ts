// Real local receivers for alert tests: an HTTP server taking webhooks (HMAC checked by the
// caller with the channel's secret) and Slack-format messages, and an SMTP server (smtp-server)
// taking nodemailer's mail. Each keeps what it received and resolves waiters as it arrives.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { SMTPServer } from 'smtp-server';

export interface Received { path: string; headers: IncomingHttpHeaders; body: string }

class Inbox<T> {
  readonly items: T[] = [];
  readonly #waiters: { n: number; resolve: () => void }[] = [];
  push(x: T): void {
    this.items.push(x);
    for (const w of [...this.#waiters]) if (this.items.length >= w.n) { w.resolve(); this.#waiters.splice(this.#waiters.indexOf(w), 1); }
  }
  /** Resolves once `n` items have arrived (fails after ms). */
  async count(n: number, ms: number, what: string): Promise<T[]> {
    if (this.items.length < n) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${n} ${what} (got ${this.items.length})`)), ms);
        this.#waiters.push({ n, resolve: () => { clearTimeout(t); resolve(); } });
      });
    }
    return this.items;
  }
}

export interface HttpReceiver {
  url: string;
  inbox: Inbox<Received>;
  /** Answer status codes per path, used in order, then 200. */
  failNext(path: string, ...codes: number[]): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const inbox = new Inbox<Received>();
  const plan = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const path = req.url ?? '/';
      const code = plan.get(path)?.shift() ?? 200;
      inbox.push({ path, headers: req.headers, body });
      res.writeHead(code, { 'content-type': 'text/plain' }).end(code === 200 ? 'ok' : 'receiver error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`, inbox,
    failNext(path, ...codes) { plan.set(path, [...(plan.get(path) ?? []), ...codes]); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface Mail { from: string; to: string[]; raw: string }
export interface SmtpReceiver { url: string; inbox: Inbox<Mail>; close(): Promise<void> }

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const inbox = new Inbox<Mail>();
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { raw += c; });
      stream.on('end', () => {
        inbox.push({ from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, inbox, close: () => new Promise<void>((r) => server.close(() => r())) };
}
