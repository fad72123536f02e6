// A tenant's alert channels and rules in PostgreSQL, and the delivery log. Every statement
// filters on the caller's tenant; another tenant's id is "not found". Secrets (a webhook's
// signing secret, a Slack webhook URL) are written here and read back only by the dispatcher.
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type pg from 'pg';
import { DwError } from '../../core/errors.js';
import { isPrivateAddress } from './format.js';

export type ChannelKind = 'webhook' | 'slack' | 'email';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'slack', 'email'];

export interface ChannelInput { kind: ChannelKind; name: string; url?: string; email?: string; system_alerts?: boolean }
export interface Channel { id: string; kind: ChannelKind; name: string; target: string; system_alerts: boolean; created_at: string }

export interface RuleInput {
  name: string; streams: string[] | null; min_score: number; channel_ids: string[]; enabled: boolean;
  quiet_hours: { start: string; end: string; time_zone: string } | null;
}
export interface Rule extends RuleInput { id: string; created_at: string; updated_at: string }

interface ChannelRow { id: string; kind: ChannelKind; name: string; target: string; system_alerts: boolean; created_at: Date }
interface RuleRow {
  id: string; name: string; streams: string[] | null; min_score: number; channel_ids: string[]; enabled: boolean;
  quiet_start: string | null; quiet_end: string | null; quiet_tz: string | null; created_at: Date; updated_at: Date;
}

const EMAIL = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

/**
 * Refuses a URL that is not http(s), or whose host is (or resolves to) a loopback, private or
 * link-local address unless `allowPrivate`: a channel must not make the server call into its own network.
 */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DwError('DW_ERR_ALERT_TARGET', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DwError('DW_ERR_ALERT_TARGET', 'only http and https URLs');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = host === 'localhost' ? ['127.0.0.1'] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw new DwError('DW_ERR_ALERT_TARGET', `${host} cannot be resolved`);
  }
  if (addresses.some(isPrivateAddress)) throw new DwError('DW_ERR_ALERT_TARGET', `${host} is a loopback, private or link-local address`);
  return url;
}

/** A Slack webhook URL shown without its secret path: origin and the last four characters. */
export const maskUrl = (u: URL): string => `${u.origin}/…${u.pathname.slice(-4)}`;

const channelJson = (r: ChannelRow): Channel => ({
  id: r.id, kind: r.kind, name: r.name, target: r.target, system_alerts: r.system_alerts, created_at: r.created_at.toISOString(),
});

const ruleJson = (r: RuleRow): Rule => ({
  id: r.id, name: r.name, streams: r.streams, min_score: r.min_score, channel_ids: r.channel_ids, enabled: r.enabled,
  quiet_hours: r.quiet_start === null || r.quiet_end === null ? null : { start: r.quiet_start, end: r.quiet_end, time_zone: r.quiet_tz ?? 'UTC' },
  created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString(),
});

export class AlertStore {
  readonly #pool: pg.Pool;
  readonly #o: { smtp: boolean; allowPrivate: boolean };
  constructor(pool: pg.Pool, o: { smtp: boolean; allowPrivate: boolean }) { this.#pool = pool; this.#o = o; }

  /** Creates a channel; a webhook's signing secret is in this answer only. */
  async createChannel(tenantId: string, userId: string | null, c: ChannelInput): Promise<Channel & { secret?: string }> {
    let target: string;
    let secret: string | null = null;
    if (c.kind === 'email') {
      if (!this.#o.smtp) throw new DwError('DW_ERR_ALERTS_EMAIL_DISABLED');
      if (c.email === undefined || !EMAIL.test(c.email)) throw new DwError('DW_ERR_VALIDATION', 'an email channel needs an email address');
      target = c.email;
    } else {
      if (c.url === undefined) throw new DwError('DW_ERR_VALIDATION', `a ${c.kind} channel needs a url`);
      const url = await checkTarget(c.url, this.#o.allowPrivate);
      if (c.kind === 'webhook') {
        target = url.href;
        secret = `whsec_${randomBytes(24).toString('base64url')}`;
      } else {
        target = maskUrl(url);
        secret = url.href;
      }
    }
    const { rows } = await this.#pool.query<ChannelRow>(
      `INSERT INTO alert_channels (tenant_id, kind, name, target, secret, system_alerts, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, kind, name, target, system_alerts, created_at`,
      [tenantId, c.kind, c.name, target, secret, c.system_alerts ?? true, userId]);
    const out = channelJson(rows[0]);
    return c.kind === 'webhook' && secret !== null ? { ...out, secret } : out;
  }

  async channels(tenantId: string): Promise<Channel[]> {
    const { rows } = await this.#pool.query<ChannelRow>(
      'SELECT id, kind, name, target, system_alerts, created_at FROM alert_channels WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
    return rows.map(channelJson);
  }

  /** false: no such channel. Its deliveries go with it; rules drop it from their lists. */
  async deleteChannel(tenantId: string, id: string): Promise<boolean> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('DELETE FROM alert_channels WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
      await client.query('UPDATE alert_rules SET channel_ids = array_remove(channel_ids, $2::uuid) WHERE tenant_id = $1 AND $2::uuid = ANY(channel_ids)', [tenantId, id]);
      await client.query('COMMIT');
      return rowCount !== 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async #checkChannels(tenantId: string, ids: readonly string[]): Promise<void> {
    const { rows } = await this.#pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM alert_channels WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, [...new Set(ids)]]);
    if (Number(rows[0].n) !== new Set(ids).size) throw new DwError('DW_ERR_VALIDATION', 'channel_ids names a channel this tenant does not have');
  }

  async createRule(tenantId: string, r: RuleInput): Promise<Rule> {
    await this.#checkChannels(tenantId, r.channel_ids);
    const q = r.quiet_hours;
    const { rows } = await this.#pool.query<RuleRow>(
      `INSERT INTO alert_rules (tenant_id, name, streams, min_score, channel_ids, enabled, quiet_start, quiet_end, quiet_tz)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [tenantId, r.name, r.streams, r.min_score, [...new Set(r.channel_ids)], r.enabled, q?.start ?? null, q?.end ?? null, q?.time_zone ?? null]);
    return ruleJson(rows[0]);
  }

  async updateRule(tenantId: string, id: string, r: RuleInput): Promise<Rule | undefined> {
    await this.#checkChannels(tenantId, r.channel_ids);
    const q = r.quiet_hours;
    const { rows } = await this.#pool.query<RuleRow>(
      `UPDATE alert_rules SET name = $3, streams = $4, min_score = $5, channel_ids = $6, enabled = $7, quiet_start = $8, quiet_end = $9, quiet_tz = $10, updated_at = now()
        WHERE id = $2 AND tenant_id = $1 RETURNING *`,
      [tenantId, id, r.name, r.streams, r.min_score, [...new Set(r.channel_ids)], r.enabled, q?.start ?? null, q?.end ?? null, q?.time_zone ?? null]);
    return rows[0] === undefined ? undefined : ruleJson(rows[0]);
  }

  async rules(tenantId: string): Promise<Rule[]> {
    const { rows } = await this.#pool.query<RuleRow>('SELECT * FROM alert_rules WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
    return rows.map(ruleJson);
  }

  async deleteRule(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM alert_rules WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
    return rowCount !== 0;
  }

  /** The delivery log, newest first. */
  async deliveries(tenantId: string, limit: number): Promise<Delivery[]> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      `SELECT d.id, d.channel_id, c.name AS channel_name, c.kind AS channel_kind, d.incident_id, d.rule_id, d.event, d.status, d.attempts,
              d.last_error, d.response_code, d.created_at, d.sent_at, d.next_attempt_at, d.payload->>'title' AS title
         FROM alert_deliveries d JOIN alert_channels c ON c.tenant_id = d.tenant_id AND c.id = d.channel_id
        WHERE d.tenant_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, [tenantId, limit]);
    return rows.map(deliveryJson);
  }

  async delivery(tenantId: string, id: string): Promise<Delivery | undefined> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      `SELECT d.id, d.channel_id, c.name AS channel_name, c.kind AS channel_kind, d.incident_id, d.rule_id, d.event, d.status, d.attempts,
              d.last_error, d.response_code, d.created_at, d.sent_at, d.next_attempt_at, d.payload->>'title' AS title
         FROM alert_deliveries d JOIN alert_channels c ON c.tenant_id = d.tenant_id AND c.id = d.channel_id WHERE d.tenant_id = $1 AND d.id = $2`, [tenantId, id]);
    return rows[0] === undefined ? undefined : deliveryJson(rows[0]);
  }
}

interface DeliveryRow {
  id: string; channel_id: string; channel_name: string; channel_kind: ChannelKind; incident_id: string | null; rule_id: string | null;
  event: string; status: string; attempts: number; last_error: string | null; response_code: number | null;
  created_at: Date; sent_at: Date | null; next_attempt_at: Date; title: string | null;
}
export type Delivery = ReturnType<typeof deliveryJson>;
const deliveryJson = (r: DeliveryRow) => ({
  id: r.id, channel_id: r.channel_id, channel_name: r.channel_name, channel_kind: r.channel_kind, incident_id: r.incident_id, rule_id: r.rule_id,
  event: r.event, title: r.title ?? '', status: r.status, attempts: r.attempts, last_error: r.last_error, response_code: r.response_code,
  created_at: r.created_at.toISOString(), sent_at: r.sent_at === null ? null : r.sent_at.toISOString(),
  next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
});
