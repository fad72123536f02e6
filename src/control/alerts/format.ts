// Alerts without I/O: what a notification says (webhook JSON, Slack message, email), the
// webhook signature, the incident an anomaly notifies as, quiet hours, stream patterns, back-off and which
// addresses a channel may not target.
//
// Webhook signature (documented in the README): the body is signed with the channel's secret,
//   X-Driftwatch-Timestamp: <unix seconds>
//   X-Driftwatch-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
// A receiver recomputes it over the raw body, compares in constant time and refuses a timestamp
// older than a few minutes (replays). X-Driftwatch-Delivery carries the delivery id (the same
// on a retry, so a receiver can drop a repeat).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const SIGNATURE_HEADER = 'x-driftwatch-signature';
export const TIMESTAMP_HEADER = 'x-driftwatch-timestamp';
export const DELIVERY_HEADER = 'x-driftwatch-delivery';
export const EVENT_HEADER = 'x-driftwatch-event';

/** What every channel is sent: a title and text for people, `data` for programs (the webhook body's). */
export interface AlertMessage {
  event: 'incident.opened' | 'usage.quota' | 'vm.crashed' | 'test';
  title: string;
  text: string;
  url: string | undefined;
  data: Record<string, unknown>;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True when `header` is the signature of `body` at `timestamp` (constant-time compare). */
export function verifySignature(secret: string, timestamp: number, body: string, header: string): boolean {
  const want = Buffer.from(signature(secret, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The webhook's body: the message's data with its event, title and link. */
export const webhookBody = (m: AlertMessage, deliveryId: string): string =>
  JSON.stringify({ event: m.event, delivery_id: deliveryId, title: m.title, text: m.text, url: m.url ?? null, ...m.data });

/** A Slack incoming webhook's message: `text` (notifications, fallback) and blocks. */
export function slackBody(m: AlertMessage): string {
  const link = m.url === undefined ? '' : `\n<${m.url}|Open in driftwatch>`;
  return JSON.stringify({
    text: `${m.title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${escapeSlack(m.text).slice(0, 2900)}${link}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `driftwatch · ${m.event}` }] },
    ],
  });
}

const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function emailContent(m: AlertMessage): { subject: string; text: string } {
  return { subject: `[driftwatch] ${m.title}`, text: `${m.text}\n${m.url === undefined ? '' : `\n${m.url}\n`}` };
}

export interface FoldableAnomaly { stream: string; detector: string; detected_at: string; incident_id?: string | null }

/**
 * The incident an anomaly notifies as: detection's `incident_id` (related findings of a stream,
 * same detector and key, close in event time: engine/transforms/incidents.ts), so an alert is
 * keyed on the incident that GET /api/v1/incidents/{id} shows. A row stored without one (by an
 * engine older than incidents) takes a stable id made from its tenant, stream, detector and the
 * window of `windowMs` its detected_at falls in: at most one notification per stream and
 * detector per window, the same id on every control API instance.
 */
export function alertIncidentId(tenantId: string, a: FoldableAnomaly, windowMs: number): string {
  if (a.incident_id !== null && a.incident_id !== undefined) return a.incident_id;
  const window = Math.floor(Date.parse(a.detected_at) / windowMs);
  const h = createHash('sha256').update(JSON.stringify([tenantId, a.stream, a.detector, window])).digest('hex');
  // A name-based UUID's layout (version 5 nibble, RFC 4122 variant), so it fits a uuid column.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const isHhMm = (s: string): boolean => HHMM.test(s);

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** True when `at` falls within [start, end) in the time zone (end before start spans midnight; equal: never). */
export function inQuietHours(at: Date, start: string, end: string, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const h = Number(parts.find((p) => p.type === 'hour')?.value);
  const m = Number(parts.find((p) => p.type === 'minute')?.value);
  const now = h * 60 + m;
  const mins = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const a = mins(start);
  const b = mins(end);
  if (a === b) return false;
  return a < b ? now >= a && now < b : now >= a || now < b;
}

/** null: every stream; else a name equal to one entry, or matching one with `*` (any characters). */
export function streamMatches(patterns: readonly string[] | null, stream: string): boolean {
  if (patterns === null) return true;
  return patterns.some((p) => {
    if (!p.includes('*')) return p === stream;
    const re = new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    return re.test(stream);
  });
}

export const RETRY_MAX_MS = 3_600_000;
/** Wait before attempt `attempts + 1`: base, 2 × base, 4 × base, ... capped at an hour. */
export const backoffMs = (baseMs: number, attempts: number): number => Math.min(RETRY_MAX_MS, baseMs * 2 ** Math.max(0, attempts - 1));

/** Loopback, private (RFC 1918, unique-local), link-local, CGNAT, unspecified and multicast addresses. */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254)
      || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || a >= 224;
  }
  if (v === 6) {
    const x = ip.toLowerCase();
    if (x.startsWith('::ffff:')) return isPrivateAddress(x.slice(7));
    return x === '::' || x === '::1' || /^f[cd]/.test(x) || /^fe[89ab]/.test(x) || x.startsWith('ff');
  }
  return true;
}
