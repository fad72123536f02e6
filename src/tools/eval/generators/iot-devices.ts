// The `iot` generator's two device-facing streams (see iot.ts):
//   ota/firmware       Spring Boot: update checks (up to date, or offered the rollout's firmware),
//                      firmware and config bundles sent (bytes, ms), transfers resumed now and then
//                      (WARN), install reports, the manifest cache refreshed every 10 minutes, the
//                      rollout created and advanced stage by stage, and every ~25 minutes a
//                      download aborted by its device with its stack trace (one event per line)
//   devices/telemetry  the devices' syslog: a status line per report (model-specific readings,
//                      firmware, uptime), boot lines (first boot on joining, ota_update after the
//                      rollout's firmware), weak-signal and low-battery warnings (~1 %);
//                      metadata {device, model, region}
import { STREAMS, type Device, type Row, type W } from './iot-lines.js';

export const OTA = {
  check: 'c.a.ota.web.UpdateCheckController',
  download: 'c.a.ota.web.DownloadController',
  install: 'c.a.o.install.InstallReportHandler',
  manifest: 'c.a.ota.jobs.ManifestRefresher',
  rollout: 'c.a.ota.rollout.RolloutService',
} as const;
const exec = (w: W): string => `nio-8443-exec-${w.r.int(1, 40)}`;

/** A config bundle sent to a device (labelled `kind` if any), `ms` its transfer time. */
export function configSent(w: W, ts: number, d: Device, ms: number, kind?: string): Row {
  const bytes = 48_000 + (d.model.image % 20_000) + w.r.int(0, 400);
  return w.row(ts, STREAMS.ota, w.spring(ts, 'INFO', exec(w), OTA.download, `Config bundle cfg-2026.${w.seed % 12 + 1}-${d.model.name} sent to ${d.id}: ${bytes} bytes in ${Math.round(ms)} ms`), undefined, kind);
}

export const resumed = (w: W, ts: number, d: Device, kind?: string): Row =>
  w.row(ts, STREAMS.ota, w.spring(ts, 'WARN', exec(w), OTA.download, `Transfer to ${d.id} resumed at byte ${w.r.int(1, 40) * 32_768} (attempt ${w.r.int(2, 3)})`), undefined, kind);

/** An update check (labelled `kind` if any); `channel` defaults to the device's. */
export function checkLine(w: W, ts: number, d: Device, answer: string, channel = d.channel, kind?: string): Row {
  return w.row(ts, STREAMS.ota, w.spring(ts, 'INFO', exec(w), OTA.check, `Update check from ${d.id} (model ${d.model.name}, fw ${w.fwAt(d, ts)}, channel ${channel}): ${answer}`), undefined, kind);
}

function upgrades(w: W, rows: Row[]): void {
  const { r } = w;
  for (const d of w.devices) {
    if (d.updatedAt === undefined) continue;
    const ms = w.around(900 + d.model.image / 1200, 0.45);
    const sentAt = d.updatedAt - r.int(20_000, 60_000);
    const checkAt = sentAt - Math.round(ms) - r.int(300, 1500);
    const stage = w.rollout.stages.filter((s) => s.at <= checkAt).length;
    rows.push(checkLine(w, checkAt, d, `offered ${w.fw.next} (rollout ${w.rollout.id}, stage ${Math.max(1, stage)})`));
    if (r.chance(0.05)) rows.push(resumed(w, checkAt + Math.round(ms / 2), d));
    rows.push(w.row(sentAt, STREAMS.ota, w.spring(sentAt, 'INFO', exec(w), OTA.download, `Firmware ${w.fw.next} (channel stable) sent to ${d.id}: ${d.model.image} bytes in ${Math.round(ms)} ms`)));
    const boot = w.around(14, 0.25);
    const at = d.updatedAt + Math.round(boot * 1000) + r.int(2000, 9000);
    rows.push(w.row(at, STREAMS.ota, w.spring(at, 'INFO', exec(w), OTA.install, `Install report from ${d.id}: firmware ${w.fw.next} installed ok (boot ${boot.toFixed(1)} s)`)));
  }
  const ops = `ops-${r.pick(['akiraly', 'lmoreau', 'tnguyen', 'rbauer'])}`;
  const first = w.rollout.stages[0].at;
  rows.push(w.row(first - 5000, STREAMS.ota, w.spring(first - 5000, 'INFO', exec(w), OTA.rollout, `Rollout ${w.rollout.id} created by ${ops} for firmware ${w.fw.next} (channel stable, ${w.devices.filter((d) => d.channel === 'stable').length} devices)`)));
  w.rollout.stages.forEach((s, k) => {
    if (s.at < w.end) rows.push(w.row(s.at, STREAMS.ota, w.spring(s.at, 'INFO', 'rollout-worker-1', OTA.rollout, `Rollout ${w.rollout.id} of firmware ${w.fw.next} advanced to stage ${k + 1}/4 (${s.pct}% of stable devices)`)));
  });
}

/** A download its device aborted: the WARN line and its stack trace, one event per line. */
function aborted(w: W, ts: number): Row[] {
  const d = w.device(ts);
  const lines = [
    w.spring(ts, 'WARN', exec(w), OTA.download, `Transfer to ${d.id} aborted by client after ${w.r.int(1, 60) * 32_768} bytes`),
    'org.apache.catalina.connector.ClientAbortException: java.io.IOException: Broken pipe',
    '\tat org.apache.catalina.connector.OutputBuffer.realWriteBytes(OutputBuffer.java:353)',
    '\tat org.apache.catalina.connector.OutputBuffer.flushByteBuffer(OutputBuffer.java:783)',
    '\tat com.acme.ota.web.DownloadController.stream(DownloadController.java:141)',
    'Caused by: java.io.IOException: Broken pipe',
    '\tat java.base/sun.nio.ch.SocketDispatcher.write0(Native Method)',
    `\t... ${w.r.int(38, 44)} common frames omitted`,
  ];
  return lines.map((l) => w.row(ts, STREAMS.ota, l));
}

export function ota(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.04)) {
    const d = w.device(ts);
    rows.push(checkLine(w, ts, d, 'up to date'));
  }
  for (const ts of w.arrivals(0.03)) {
    const d = w.device(ts);
    if (r.chance(0.05)) rows.push(resumed(w, ts - r.int(200, 3000), d));
    rows.push(configSent(w, ts, d, w.around(420, 0.45)));
  }
  for (const d of w.devices) if (d.joinedAt > w.t0) rows.push(configSent(w, d.joinedAt + r.int(8000, 30_000), d, w.around(420, 0.45)));
  upgrades(w, rows);
  for (let ts = w.t0 + r.int(0, 599_999); ts < w.end; ts += 600_000 + r.int(-300, 300)) {
    const images = 4 * 2 + 2 + (ts >= w.rollout.stages[0].at - 5000 ? 1 : 0);
    rows.push(w.row(ts, STREAMS.ota, w.spring(ts, 'INFO', 'scheduling-1', OTA.manifest, `Manifest cache refreshed: ${images} images across 2 channels in ${Math.round(w.around(40, 0.3))} ms`)));
  }
  for (let ts = w.t0 + Math.round(r.exp(1_500_000)); ts < w.end; ts += Math.round(r.exp(1_500_000)) + 60_000) rows.push(...aborted(w, ts));
}

/** The readings a device's status line carries (by model). */
function readings(w: W, d: Device, temp: number): string {
  const { r } = w;
  const rssi = `rssi=${Math.round(-72 + 8 * (r.next() - 0.5) * 2)}`;
  const t = `temp=${temp.toFixed(1)}C`;
  if (d.model.name === 'th-sensor-v2') return `bat=${r.int(22, 100)}% ${rssi} ${t} hum=${r.int(30, 65)}%`;
  if (d.model.name === 'pm-meter-x3') return `kwh=${(r.int(1_000, 90_000) + r.next()).toFixed(2)} ${rssi} ${t}`;
  if (d.model.name === 'cam-lite-4') return `fps=${r.pick([10, 15, 15, 15, 20])} ${rssi} ${t} sd=${r.int(5, 95)}%`;
  return `clients=${r.int(3, 40)} ${rssi} ${t}`;
}

/** A device's status line (labelled `kind` if any), `region` in its metadata. */
export function status(w: W, ts: number, d: Device, temp = w.around(d.model.temp, 0.08), region = d.region, kind?: string): Row {
  const up = Math.max(60, Math.round((ts - (d.updatedAt !== undefined && ts >= d.updatedAt ? d.updatedAt : Math.max(d.joinedAt, w.t0 - w.r.int(1, 30) * 86_400_000))) / 1000));
  return w.row(ts, STREAMS.devices, w.syslog(ts, 134, d.id, `status fw=${w.fwAt(d, ts)} ${readings(w, d, temp)} up=${up}s`), { device: d.id, model: d.model.name, region }, kind);
}

export function telemetry(w: W, rows: Row[]): void {
  const { r } = w;
  const meta = (d: Device): Record<string, string> => ({ device: d.id, model: d.model.name, region: d.region });
  for (const ts of w.arrivals(0.24)) {
    const d = w.device(ts);
    const u = r.next();
    if (u < 0.006) rows.push(w.row(ts, STREAMS.devices, w.syslog(ts, 132, d.id, `wifi link weak rssi=${r.int(-104, -95)} reconnects=${r.int(1, 4)}`), meta(d)));
    else if (u < 0.01 && d.model.name === 'th-sensor-v2') rows.push(w.row(ts, STREAMS.devices, w.syslog(ts, 132, d.id, `battery low bat=${r.int(4, 14)}% eta=${r.int(2, 40)}h`), meta(d)));
    else rows.push(status(w, ts, d));
  }
  for (const d of w.devices) {
    if (d.joinedAt > w.t0) rows.push(w.row(d.joinedAt, STREAMS.devices, w.syslog(d.joinedAt, 133, d.id, `boot fw=${d.fw} reason=first_boot model=${d.model.name}`), meta(d)));
    if (d.updatedAt !== undefined) rows.push(w.row(d.updatedAt, STREAMS.devices, w.syslog(d.updatedAt, 133, d.id, `boot fw=${w.fw.next} reason=ota_update model=${d.model.name}`), meta(d)));
  }
}
