// The pure parts of alerts: the webhook signature, quiet hours across midnight and time zones,
// stream patterns, back-off, the incident key, Slack's message format and the address filter.
import { describe, expect, it } from 'vitest';
import {
  alertIncidentId, backoffMs, inQuietHours, isPrivateAddress, isTimeZone, signature, slackBody, streamMatches, verifySignature, webhookBody,
  type AlertMessage,
} from '../../src/control/alerts/format.js';
import { createHmac } from 'node:crypto';
import { checkTarget, maskUrl } from '../../src/control/alerts/service.js';

const msg: AlertMessage = { event: 'test', title: 'T <b>', text: 'a & b', url: 'https://x.example/#/a', data: { n: 1 } };

describe('alerts format', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 as documented, and verifies only the same secret, time and body', () => {
    const body = webhookBody(msg, 'd-1');
    const sig = signature('whsec_k', 1_700_000_000, body);
    expect(sig).toBe(`v1=${createHmac('sha256', 'whsec_k').update(`1700000000.${body}`).digest('hex')}`);
    expect(verifySignature('whsec_k', 1_700_000_000, body, sig)).toBe(true);
    expect(verifySignature('whsec_x', 1_700_000_000, body, sig)).toBe(false);
    expect(verifySignature('whsec_k', 1_700_000_001, body, sig)).toBe(false);
    expect(verifySignature('whsec_k', 1_700_000_000, `${body} `, sig)).toBe(false);
    expect(verifySignature('whsec_k', 1_700_000_000, body, 'v1=00')).toBe(false);
    expect(JSON.parse(body)).toEqual({ event: 'test', delivery_id: 'd-1', title: 'T <b>', text: 'a & b', url: 'https://x.example/#/a', n: 1 });
  });

  it('quiet hours: [start, end) in the zone, spanning midnight when end < start, never when equal', () => {
    const at = new Date('2026-12-05T22:30:00Z');
    expect(inQuietHours(at, '22:00', '07:00', 'UTC')).toBe(true);
    expect(inQuietHours(at, '23:00', '07:00', 'UTC')).toBe(false);
    expect(inQuietHours(at, '22:30', '22:31', 'UTC')).toBe(true);
    expect(inQuietHours(at, '22:00', '22:30', 'UTC')).toBe(false);
    expect(inQuietHours(at, '08:00', '08:00', 'UTC')).toBe(false);
    // 22:30 UTC is 07:30 the next day in Tokyo.
    expect(inQuietHours(at, '22:00', '07:00', 'Asia/Tokyo')).toBe(false);
    expect(inQuietHours(at, '07:00', '08:00', 'Asia/Tokyo')).toBe(true);
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('streams: null is all, names match exactly, * matches any run of characters (regex characters are literal)', () => {
    expect(streamMatches(null, 'x')).toBe(true);
    expect(streamMatches(['api', 'db'], 'db')).toBe(true);
    expect(streamMatches(['api'], 'api2')).toBe(false);
    expect(streamMatches(['api-*'], 'api-eu')).toBe(true);
    expect(streamMatches(['*.log'], 'a.log')).toBe(true);
    expect(streamMatches(['*.log'], 'alog')).toBe(false);
  });

  it('back-off doubles from the base and stops at an hour', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(1000, n))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(1000, 40)).toBe(3_600_000);
  });

  it("notifies as detection's incident id; a row without one as a stable id of tenant, stream, detector and window", () => {
    const at = '2026-12-05T10:02:11.000Z';
    const w = 600_000;
    expect(alertIncidentId('t', { stream: 'a', detector: 'd', detected_at: at, incident_id: 'i1' }, w)).toBe('i1');
    const legacy = alertIncidentId('t', { stream: 'a', detector: 'd', detected_at: at, incident_id: null }, w);
    expect(legacy).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(alertIncidentId('t', { stream: 'a', detector: 'd', detected_at: '2026-12-05T10:09:59.000Z' }, w)).toBe(legacy); // same 10-minute window
    expect(alertIncidentId('t', { stream: 'a', detector: 'd', detected_at: '2026-12-05T10:10:00.000Z' }, w)).not.toBe(legacy);
    expect(alertIncidentId('u', { stream: 'a', detector: 'd', detected_at: at }, w)).not.toBe(legacy);
    expect(alertIncidentId('t', { stream: 'a', detector: 'e', detected_at: at }, w)).not.toBe(legacy);
    expect(alertIncidentId('t', { stream: 'a\u001fd', detector: '', detected_at: at }, w)).not.toBe(alertIncidentId('t', { stream: 'a', detector: '\u001fd', detected_at: at }, w));
  });

  it("Slack's format: text, a header, an mrkdwn section with <, >, & escaped and the link", () => {
    const s = JSON.parse(slackBody(msg));
    expect(s.text).toBe('T <b>');
    expect(s.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'T <b>' } });
    expect(s.blocks[1].text.text).toBe('a &amp; b\n<https://x.example/#/a|Open in driftwatch>');
  });

  it('refuses loopback, private, link-local, CGNAT and mapped addresses; takes public ones', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'nonsense']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '172.32.0.1', '2606:4700::1111']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('a channel may not target this server\'s network unless allowed; a Slack URL is shown without its secret path', async () => {
    for (const u of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/hook']) {
      await expect(checkTarget(u, false), u).rejects.toMatchObject({ code: 'DW_ERR_ALERT_TARGET' });
    }
    await expect(checkTarget('ftp://93.184.216.34/x', true)).rejects.toMatchObject({ code: 'DW_ERR_ALERT_TARGET' });
    expect((await checkTarget('http://127.0.0.1:8080/x', true)).port).toBe('8080');
    expect((await checkTarget('https://93.184.216.34/x', false)).hostname).toBe('93.184.216.34');
    expect(maskUrl(new URL('https://hooks.slack.com/services/T0/B0/abcdefSECRET'))).toBe('https://hooks.slack.com/…CRET');
  });
});
