// Sending one alert message to one channel: a signed webhook, a Slack incoming webhook, or an
// email through SMTP (nodemailer). The only file here that opens connections to receivers.
// Redirects are not followed (a receiver cannot send us elsewhere); the address is checked again
// before each request (DNS may have changed since the channel was made).
import nodemailer, { type Transporter } from 'nodemailer';
import {
  type AlertMessage, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, emailContent, signature, slackBody, webhookBody,
} from './format.js';
import { checkTarget, type ChannelKind } from './service.js';

export const SEND_TIMEOUT_MS = 10_000;

export interface SendTarget { kind: ChannelKind; target: string; secret: string | null }
export interface SendResult { ok: boolean; code: number | null; error: string | null }

export interface SenderOptions { smtpUrl: string | undefined; emailFrom: string; allowPrivate: boolean; now?: () => number }

export class Senders {
  readonly #o: SenderOptions;
  #mail: Transporter | undefined;
  constructor(o: SenderOptions) { this.#o = o; }

  async send(ch: SendTarget, m: AlertMessage, deliveryId: string): Promise<SendResult> {
    try {
      if (ch.kind === 'email') return await this.#email(ch.target, m);
      const url = ch.kind === 'slack' ? ch.secret ?? '' : ch.target;
      await checkTarget(url, this.#o.allowPrivate);
      if (ch.kind === 'slack') return await post(url, slackBody(m), {});
      const body = webhookBody(m, deliveryId);
      const ts = Math.floor((this.#o.now ?? Date.now)() / 1000);
      return await post(url, body, {
        [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signature(ch.secret ?? '', ts, body),
        [DELIVERY_HEADER]: deliveryId, [EVENT_HEADER]: m.event,
      });
    } catch (err) {
      return { ok: false, code: null, error: (err as Error).message.slice(0, 500) };
    }
  }

  close(): void { this.#mail?.close(); }

  async #email(to: string, m: AlertMessage): Promise<SendResult> {
    if (this.#o.smtpUrl === undefined) return { ok: false, code: null, error: 'SMTP_URL is not set' };
    this.#mail ??= nodemailer.createTransport(this.#o.smtpUrl);
    const { subject, text } = emailContent(m);
    const info = await this.#mail.sendMail({ from: this.#o.emailFrom, to, subject, text }) as { response?: string };
    const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1] ?? NaN);
    return { ok: true, code: Number.isNaN(code) ? null : code, error: null };
  }
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
  const res = await fetch(url, {
    method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    headers: { 'content-type': 'application/json', 'user-agent': 'driftwatch-alerts/1', ...headers },
  });
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return { ok: true, code: res.status, error: null };
  return { ok: false, code: res.status, error: `HTTP ${res.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}` };
}
