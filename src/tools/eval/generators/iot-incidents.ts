// The `iot` generator's labelled incidents (see iot.ts), all after a 30-minute warm-up, none in the
// last minute, 5 s apart and outside the silenced stretch:
//   new_error            4 never-seen error templates in their stream's format (a Java stack trace
//                        has every line labelled): Mosquitto unable to save its database, the
//                        gateway's failed publish or a rejected device certificate (zap error
//                        lines with their stacktrace field), the OTA service out of database
//                        connections or halting the rollout, a corrupted WAL segment, a device's
//                        brownout reset, a malformed MQTT packet
//   rare_error           one error template (by seed: an install that failed its hash check, a
//                        shadow write conflict in the gateway, Mosquitto dropping a slow client's
//                        messages) recurring all run long: 3 lone lines anywhere and 6 after its
//                        burst
//   rare_burst           the same template's one burst (70-110 over 50-120 s) in the first half,
//                        a kind of its own so that the lone lines after it are counted apart
//   unusual_value        5 known lines with an unusual value for their context: 30× a fast
//                        route's latency (the fleet summary normally takes that long), a 5xx on
//                        the shadow read route (which only ever answers 200 or 404), a telemetry
//                        batch 30× its usual bytes, a push 30× its usual duration, a config
//                        bundle 30× its usual transfer time
//   unseen_category      3 values never seen in a low-cardinality slot: a device region (in its
//                        status line's metadata, or in a gateway batch), a firmware channel on an
//                        update check, QoS 2 on a telemetry batch, an ingester tenant
//   retry_storm          2 bursts (40-90 in 3-8 s) of a normal but infrequent line: command
//                        delivery retries, resumed OTA transfers, out-of-order samples dropped
//   silence              one busy stream (tsdb/ingester on even seeds, devices/telemetry on odd)
//                        silent for 12-25 minutes (its shipper stalled; the lines are lost): the
//                        stream's first line after the gap is labelled
//   credential_stuffing  40-120 refused logins on the broker from one outside address with
//                        made-up client ids in 20-60 s (both lines of each attempt labelled)
import { checkLine, configSent, OTA, resumed, status } from './iot-devices.js';
import { NEW_CHANNELS, NEW_REGIONS, NEW_TENANTS, STREAMS, TENANTS, type Row, type W } from './iot-lines.js';
import { plantIncidents } from './labelled.js';
import { batch, commandRetry, outOfOrder, pod, push, refused, request, ROUTES, WARMUP_MS } from './iot.js';

type Maker = (w: W, ts: number) => Row[];
const NE = 'new_error';
const meta = (w: W, ts: number): { device: string; model: string; region: string } => { const d = w.device(ts); return { device: d.id, model: d.model.name, region: d.region }; };

const NEW_ERRORS: Maker[] = [
  (w, ts) => [
    w.row(ts, STREAMS.broker, w.mosq(ts, 'Error saving in-memory database, unable to open /var/lib/mosquitto/mosquitto.db.new for writing.'), undefined, NE),
    w.row(ts, STREAMS.broker, w.mosq(ts, 'Error: No space left on device.'), undefined, NE),
  ],
  (w, ts) => {
    const d = w.device(ts);
    return [w.row(ts, STREAMS.gateway, w.zap(ts, 'error', 'commands/publish.go:58', 'mqtt publish failed', { topic: `devices/${d.id}/commands`, error: `write tcp 10.0.3.7:${w.r.int(40_000, 60_000)}->10.0.1.9:1883: write: broken pipe` }), pod(w), NE)];
  },
  (w, ts) => [w.row(ts, STREAMS.gateway, w.zap(ts, 'error', 'auth/mtls.go:104', 'device certificate rejected', { device_id: w.device(ts).id, error: 'x509: certificate signed by unknown authority' }), pod(w), NE)],
  (w, ts) => [
    w.spring(ts, 'ERROR', `nio-8443-exec-${w.r.int(1, 40)}`, OTA.download, `Failed to serve firmware to ${w.device(ts).id}`),
    'org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection',
    '\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:277)',
    '\tat com.acme.ota.store.ImageRepository.findByVersion(ImageRepository.java:52)',
    'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.',
    '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)',
    `\t... ${w.r.int(80, 95)} common frames omitted`,
  ].map((l) => w.row(ts, STREAMS.ota, l, undefined, NE)),
  (w, ts) => [w.row(ts, STREAMS.ota, w.spring(ts, 'ERROR', 'rollout-worker-1', OTA.rollout, `Rollout ${w.rollout.id} halted: failure rate ${(5 + w.r.next() * 9).toFixed(1)}% above threshold 5.0%`), undefined, NE)],
  (w, ts) => [w.row(ts, STREAMS.tsdb, w.logfmt(ts, 'error', 'wal.go:512', w.r.pick(TENANTS), 'WAL segment corrupted, truncating', { segment: String(w.r.int(100, 999)).padStart(8, '0'), err: `unexpected checksum 0x${w.r.hex(8)}, expected 0x${w.r.hex(8)}` }), undefined, NE)],
  (w, ts) => { const m = meta(w, ts); return [w.row(ts, STREAMS.devices, w.syslog(ts, 131, m.device, `watchdog reset reason=brownout vbat=${(2.7 + w.r.next() * 0.3).toFixed(2)}V`), m, NE)]; },
  (w, ts) => [w.row(ts, STREAMS.broker, w.mosq(ts, `Client ${w.device(ts).id} disconnected due to malformed packet.`), undefined, NE)],
];

/** The seed's rare error: one occurrence at a time, labelled `RE`. */
function rareOne(w: W, ts: number, RE = 'rare_error'): Row[] {
  const { r } = w;
  const d = w.device(ts);
  if (w.seed % 3 === 0) return [w.row(ts, STREAMS.ota, w.spring(ts, 'ERROR', `nio-8443-exec-${r.int(1, 40)}`, OTA.install, `Install report from ${d.id}: firmware ${w.fwAt(d, ts)} failed: image hash mismatch (expected sha256:${r.hex(12)}, got sha256:${r.hex(12)})`), undefined, RE)];
  if (w.seed % 3 === 1) {
    const have = r.int(10, 5000);
    return [w.row(ts, STREAMS.gateway, w.zap(ts, 'error', 'shadow/store.go:143', 'shadow write conflict', { device_id: d.id, error: `version mismatch: expected ${have}, have ${have + 1}` }), pod(w), RE)];
  }
  return [w.row(ts, STREAMS.broker, w.mosq(ts, `Outgoing messages are being dropped for client ${d.id}.`), undefined, RE)];
}

function unusualValue(w: W, rows: Row[], ts: number, which: number): void {
  const { r } = w;
  const UV = 'unusual_value';
  const d = w.device(ts);
  if (which === 0) { const route = ROUTES[r.int(0, 1)]; rows.push(request(w, ts, route, 200, w.around(route.ms, 0.15) * 30, UV)); }
  else if (which === 1) rows.push(request(w, ts, ROUTES[0], r.pick([500, 502, 503]), w.around(ROUTES[0].ms, 0.35), UV));
  else if (which === 2) rows.push(batch(w, ts, d, { bytes: Math.round(30 * 30 * 32 * (0.9 + 0.3 * r.next())), kind: UV }));
  else if (which === 3) rows.push(push(w, ts, r.pick(TENANTS), w.around(3.2, 0.15) * 30, UV));
  else rows.push(configSent(w, ts, d, w.around(420, 0.15) * 30, UV));
}

function unseenCategory(w: W, rows: Row[], ts: number, which: number): void {
  const { r } = w;
  const UC = 'unseen_category';
  const d = w.device(ts);
  if (which === 0) rows.push(status(w, ts, d, undefined, r.pick(NEW_REGIONS), UC));
  else if (which === 1) rows.push(checkLine(w, ts, d, 'up to date', r.pick(NEW_CHANNELS), UC));
  else if (which === 2) rows.push(batch(w, ts, d, { qos: 2, kind: UC }));
  else if (which === 3) rows.push(batch(w, ts, d, { region: r.pick(NEW_REGIONS), kind: UC }));
  else rows.push(push(w, ts, r.pick(NEW_TENANTS), undefined, UC));
}

function retryStorm(w: W, rows: Row[], ts: number, which: number, span: number): void {
  const { r } = w;
  const RS = 'retry_storm';
  const n = r.int(40, 90);
  const tenant = r.pick(TENANTS);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 40);
    if (which === 0) rows.push(commandRetry(w, t, RS));
    else if (which === 1) rows.push(resumed(w, t, w.device(t), RS));
    else rows.push(outOfOrder(w, t, tenant, RS));
  }
}

function credentialStuffing(w: W, rows: Row[], ts: number, span: number): void {
  const { r } = w;
  const ip = `${r.pick(['45.155', '185.220', '91.240', '193.56'])}.${r.int(1, 254)}.${r.int(1, 254)}`;
  const n = r.int(40, 120);
  for (let j = 0; j < n; j++) {
    const client = r.chance(0.5) ? `mqttjs_${r.hex(8)}` : `${r.pick(['admin', 'device', 'test', 'iot', 'sensor'])}${r.int(0, 999)}`;
    rows.push(...refused(w, ts + Math.round((j * span) / n) + r.int(0, 200), ip, client, 'credential_stuffing'));
  }
}

/** Every kind, at random times after the warm-up (labelled.ts plantIncidents). */
export function injectIotIncidents(w: W, rows: Row[]): void {
  plantIncidents(w, rows, {
    warmupMs: WARMUP_MS, rareOne, newErrors: NEW_ERRORS, retryStorm,
    unusualValue: { plant: unusualValue, variants: 5 }, unseenCategory: { plant: unseenCategory, variants: 5 },
    own: (c, out, at) => { const span = c.r.int(20, 60) * 1000; credentialStuffing(c, out, at(span), span); },
    silenced: [STREAMS.tsdb, STREAMS.devices],
  });
}
