// Generator `iot`: a fleet of devices and the platform they report to, written for issue 11's
// held-out log streams from the description alone (not from the detectors), to give a
// never-tuned figure.
//
//   seed ─► world() (iot-lines.ts) ─► 4-6 hours of event time from 01:00-02:30 UTC; a fleet of
//   │       800-1400 devices of four models in three regions (a new one joining every ~7 minutes,
//   │       the first in the warm-up), a rollout of the next stable firmware from 25-55 % into the
//   │       run; five streams in five formats:
//   │         mqtt/broker-1      Mosquitto: device connections and disconnections (cellular churn,
//   │                            keep-alive timeouts, a device now and then with stale credentials
//   │                            refused), its autosave every 30 minutes, and the edge load
//   │                            balancer's daily drain at 04:00 UTC (a reconnect wave)
//   │         gateway/devices    the Go device gateway (zap JSON), ~0.6/s: telemetry batches
//   │                            accepted (points, bytes, QoS, firmware, region), its HTTP API
//   │                            (shadow reads and writes, commands, the fleet summary: each route
//   │                            with its own latency and statuses), clock-skew and command-retry
//   │                            warnings, devices registered, an hourly certificate check;
//   │                            metadata {pod}
//   │         ota/firmware       Spring Boot (iot-devices.ts)
//   │         tsdb/ingester      logfmt: pushes per tenant every ~10 s, out-of-order samples
//   │                            dropped (~1 %), compactions every 15 minutes, WAL checkpoints
//   │         devices/telemetry  the devices' syslog (iot-devices.ts)
//   │       benign novelty: fresh device ids, IPs, ports, request ids, sizes and readings; the
//   │       rollout's new firmware version in four streams; new devices joining
//   └─► incidents after a 30-minute warm-up (iot-incidents.ts), labelled new_error, rare_error
//       (lone lines) and rare_burst (its one burst), unusual_value, unseen_category, retry_storm,
//       silence and credential_stuffing (a burst of refused logins on the broker from one address)
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { ota, telemetry } from './iot-devices.js';
import { injectIotIncidents } from './iot-incidents.js';
import { STREAMS, TENANTS, world, type Device, type Row, type W } from './iot-lines.js';
import { labelledSet } from './labelled.js';

export const IOT_KINDS = ['credential_stuffing', 'new_error', 'rare_burst', 'rare_error', 'retry_storm', 'silence', 'unseen_category', 'unusual_value'] as const;
export const WARMUP_MS = 1_800_000;

/** A device's connection: Mosquitto's two lines (a stale session replaced now and then). */
export function connectLines(w: W, ts: number, d: Device): Row[] {
  const { r } = w;
  const ip = w.ip(d), port = r.int(32_768, 60_999);
  const at = ts + r.int(20, 400);
  const out = [
    w.row(ts, STREAMS.broker, w.mosq(ts, `New connection from ${ip}:${port} on port 8883.`)),
    w.row(at, STREAMS.broker, w.mosq(at, `New client connected from ${ip}:${port} as ${d.id} (${d.proto}, c${d.proto === 'p5' ? 0 : 1}, k${d.model.name === 'pm-meter-x3' ? 120 : 60}, u'${d.id}').`)),
  ];
  if (r.chance(0.05)) out.splice(1, 0, w.row(at, STREAMS.broker, w.mosq(at, `Client ${d.id} already connected, closing old connection.`)));
  return out;
}

/** A login refused for bad credentials: the connection and the refusal (labelled `kind` if any). */
export function refused(w: W, ts: number, ip: string, client: string, kind?: string): Row[] {
  const port = w.r.int(32_768, 60_999);
  const at = ts + w.r.int(5, 60);
  return [
    w.row(ts, STREAMS.broker, w.mosq(ts, `New connection from ${ip}:${port} on port 8883.`), undefined, kind),
    w.row(at, STREAMS.broker, w.mosq(at, `Client ${client} disconnected, not authorised.`), undefined, kind),
  ];
}

function broker(w: W, rows: Row[]): void {
  const { r } = w;
  const drop = (ts: number, d: Device): Row => w.row(ts, STREAMS.broker, w.mosq(ts, r.chance(0.8) ? `Client ${d.id} closed its connection.` : `Client ${d.id} has exceeded timeout, disconnecting.`));
  for (const ts of w.arrivals(0.07)) {
    const d = w.device(ts);
    if (r.chance(0.5)) rows.push(...connectLines(w, ts, d));
    else rows.push(r.chance(0.9) ? drop(ts, d) : w.row(ts, STREAMS.broker, w.mosq(ts, `Client ${d.id} disconnected.`)));
  }
  for (const d of w.devices) if (d.joinedAt > w.t0) rows.push(...connectLines(w, d.joinedAt + r.int(3000, 8000), d));
  for (const d of w.devices) if (d.updatedAt !== undefined) { rows.push(drop(d.updatedAt - r.int(3000, 9000), d)); rows.push(...connectLines(w, d.updatedAt + r.int(15_000, 40_000), d)); }
  for (let ts = w.t0 + Math.round(r.exp(1_200_000)); ts < w.end; ts += Math.round(r.exp(1_200_000))) { const d = w.device(ts); rows.push(...refused(w, ts, w.ip(d), d.id)); }
  for (let ts = w.t0 + r.int(0, 1_799_999); ts < w.end; ts += 1_800_000) rows.push(w.row(ts, STREAMS.broker, w.mosq(ts, 'Saving in-memory database to /var/lib/mosquitto/mosquitto.db.')));
  const n = r.int(150, 260);
  for (let k = 0; k < n; k++) {
    const d = w.device(w.drainAt);
    const ts = w.drainAt + r.int(0, 90_000);
    rows.push(w.row(ts, STREAMS.broker, w.mosq(ts, `Client ${d.id} closed its connection.`)));
    rows.push(...connectLines(w, ts + r.int(2000, 40_000), d));
  }
}

/** The gateway's HTTP API: method, route, median ms and status mix (a route never shows other statuses). */
export const ROUTES = [
  { method: 'GET', route: '/v1/devices/{id}/shadow', ms: 4, statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 404], share: 0.5 },
  { method: 'PUT', route: '/v1/devices/{id}/shadow', ms: 9, statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 409], share: 0.25 },
  { method: 'POST', route: '/v1/devices/{id}/commands', ms: 25, statuses: [202], share: 0.2 },
  { method: 'GET', route: '/v1/fleet/summary', ms: 180, statuses: [200], share: 0.05 },
] as const;
export type Route = (typeof ROUTES)[number];
const PODS = ['iot-gateway-6d9f7c-2xk8q', 'iot-gateway-6d9f7c-7bn4w', 'iot-gateway-6d9f7c-r5tzl'];
export const pod = (w: W): { pod: string } => ({ pod: w.r.pick(PODS) });

/** An API request line (labelled `kind` if any); a command to an offline device times out with 504. */
export function request(w: W, ts: number, route: Route, status: number = w.r.pick(route.statuses), ms = w.around(route.ms, 0.35), kind?: string): Row {
  const { r } = w;
  const d = w.device(ts);
  const late = route.route.endsWith('commands') && kind === undefined && r.chance(0.006);
  const path = route.route.replace('{id}', d.id);
  return w.row(ts, STREAMS.gateway, w.zap(ts, 'info', 'httpapi/log.go:41', 'http request', {
    method: route.method, route: route.route, path, status: late ? 504 : status, latency_ms: Number((late ? 10_000 + r.int(0, 40) : ms).toFixed(2)), remote_ip: `10.0.${r.int(4, 7)}.${r.int(2, 250)}`, request_id: w.uuid(),
  }), pod(w), kind);
}

/** A telemetry batch accepted (labelled `kind` if any). */
export function batch(w: W, ts: number, d: Device, o: { bytes?: number; qos?: number; region?: string; kind?: string } = {}): Row {
  const { r } = w;
  const points = r.int(1, 60);
  return w.row(ts, STREAMS.gateway, w.zap(ts, 'info', 'telemetry/ingest.go:88', 'telemetry batch accepted', {
    device_id: d.id, points, bytes: o.bytes ?? points * r.int(24, 40) + 60, qos: o.qos ?? (r.chance(0.7) ? 0 : 1), fw: w.fwAt(d, ts), region: o.region ?? d.region,
  }), pod(w), o.kind);
}

export const commandRetry = (w: W, ts: number, kind?: string): Row =>
  w.row(ts, STREAMS.gateway, w.zap(ts, 'warn', 'commands/deliver.go:133', 'command delivery retry', { device_id: w.device(ts).id, command_id: `cmd_${w.r.hex(12)}`, attempt: w.r.int(2, 4), backoff_ms: w.r.pick([500, 1000, 2000]) }), pod(w), kind);

function gateway(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.48)) {
    const u = r.next();
    if (u < 0.01) rows.push(w.row(ts, STREAMS.gateway, w.zap(ts, 'warn', 'telemetry/ingest.go:61', 'telemetry batch has clock skew, timestamps corrected', { device_id: w.device(ts).id, skew_s: r.int(31, 900) }), pod(w)));
    else if (u < 0.015) rows.push(commandRetry(w, ts));
    else if (u < 0.6) rows.push(batch(w, ts, w.device(ts)));
    else {
      let v = r.next();
      const route = ROUTES.find((x) => (v -= x.share) < 0) ?? ROUTES[0];
      rows.push(request(w, ts, route));
    }
  }
  for (const d of w.devices) {
    if (d.joinedAt <= w.t0) continue;
    const ts = d.joinedAt - r.int(5000, 20_000);
    rows.push(w.row(ts, STREAMS.gateway, w.zap(ts, 'info', 'httpapi/log.go:41', 'http request', { method: 'POST', route: '/v1/devices', path: '/v1/devices', status: 201, latency_ms: Number(w.around(35, 0.3).toFixed(2)), remote_ip: `10.0.${r.int(4, 7)}.${r.int(2, 250)}`, request_id: w.uuid() }), pod(w)));
    rows.push(w.row(ts + 2, STREAMS.gateway, w.zap(ts + 2, 'info', 'registry/devices.go:77', 'device registered', { device_id: d.id, model: d.model.name, region: d.region, channel: d.channel }), pod(w)));
  }
  for (let ts = w.t0 + r.int(0, 3_599_999); ts < w.end; ts += 3_600_000) {
    rows.push(w.row(ts, STREAMS.gateway, w.zap(ts, 'info', 'certs/expiry.go:52', 'device certificates expiring soon', { count: r.int(0, 30), within: '720h0m0s' }), pod(w)));
  }
}

/** A push to the ingester (labelled `kind` if any), `ms` its duration. */
export function push(w: W, ts: number, tenant: string, ms = w.around(3.2, 0.3), kind?: string): Row {
  const { r } = w;
  const series = Math.round(w.devices.length * (tenant === TENANTS[0] ? 4.1 : 2.3) * w.rate(ts)) + r.int(0, 40);
  const samples = series * r.int(2, 3) + r.int(0, 99);
  return w.row(ts, STREAMS.tsdb, w.logfmt(ts, 'info', 'distributor.go:712', tenant, 'push accepted', { series, samples, bytes: samples * r.int(14, 18), duration: `${ms.toFixed(3)}ms` }), undefined, kind);
}

export const outOfOrder = (w: W, ts: number, tenant: string, kind?: string): Row =>
  w.row(ts, STREAMS.tsdb, w.logfmt(ts, 'warn', 'ingester.go:1021', tenant, 'out-of-order sample dropped', { series: `{device="${w.device(ts).id}",metric="${w.r.pick(['temp', 'rssi', 'kwh', 'bat'])}"}`, delta: `${w.r.int(2, 600)}s` }), undefined, kind);

function tsdb(w: W, rows: Row[]): void {
  const { r } = w;
  for (const tenant of TENANTS) {
    for (let ts = w.t0 + r.int(0, 9999); ts < w.end; ts += 10_000 + r.int(-800, 800)) {
      rows.push(push(w, ts, tenant));
      if (r.chance(0.012)) rows.push(outOfOrder(w, ts + r.int(1, 50), tenant));
    }
    for (let ts = w.t0 + r.int(0, 899_999); ts < w.end; ts += 900_000) {
      const blocks = r.int(2, 4), took = w.around(2.4, 0.3);
      rows.push(w.row(ts, STREAMS.tsdb, w.logfmt(ts, 'info', 'compactor.go:231', tenant, 'compacting blocks', { blocks, range: '2h' })));
      const at = ts + Math.round(took * 1000);
      rows.push(w.row(at, STREAMS.tsdb, w.logfmt(at, 'info', 'compactor.go:298', tenant, 'compaction done', { blocks, duration: `${took.toFixed(2)}s`, block: `01J${r.hex(23).toUpperCase()}` })));
    }
  }
  for (let ts = w.t0 + r.int(0, 1_799_999); ts < w.end; ts += 1_800_000) {
    rows.push(w.row(ts, STREAMS.tsdb, w.logfmt(ts, 'info', 'wal.go:447', TENANTS[r.int(0, 1)], 'WAL checkpoint created', { segments: `${r.int(100, 900)}-${r.int(901, 999)}`, duration: `${w.around(180, 0.3).toFixed(0)}ms` })));
  }
}

/** The fleet's five streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generateIot(seed: number, minutes = 240 + ((seed * 37) % 121)): GeneratedSet {
  const w = world(seed, minutes);
  const rows: Row[] = [];
  broker(w, rows);
  gateway(w, rows);
  ota(w, rows);
  tsdb(w, rows);
  telemetry(w, rows);
  injectIotIncidents(w, rows);
  return labelledSet(rows.filter((x) => x.ts >= w.t0 && x.ts < w.end));
}

export const iotGenerator: Generator = {
  describe: 'a device fleet and its platform: Mosquitto, a Go device gateway (zap JSON), a Spring Boot OTA service with stack traces, a logfmt time-series ingester and the devices\' syslog over 4-6 hours, a firmware rollout, new devices, a daily reconnect wave; incidents: new_error, rare_error, rare_burst, unusual_value, unseen_category, retry_storm, silence, credential_stuffing',
  generate: (seed) => generateIot(seed),
};
