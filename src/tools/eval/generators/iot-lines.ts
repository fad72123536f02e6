// The `iot` generator's world and line makers (see iot.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. The fleet (devices, their models, regions, firmware
// and when each one joins or is updated) is drawn first, so that every stream tells the same story.
// Each format is written as its software writes it:
//   mosq    Mosquitto 2.x (unix seconds: message)
//   zap     the Go device gateway (zap's production JSON: level, ts in float seconds, caller, msg,
//           fields; error lines carry a multi-line `stacktrace` field, as zap adds at error level)
//   spring  the OTA service (Spring Boot: date time.ms  LEVEL pid --- [thread] logger : message;
//           a stack trace is one event per line)
//   logfmt  the time-series ingester (level= ts= caller= tenant= msg= fields)
//   syslog  the devices' own status lines, RFC 5424 via the gateway's syslog relay
import { runClock, seeded, type Random } from './random.js';

import { logRow, type LabelledRow, type RunWorld } from './labelled.js';

export type Row = LabelledRow;

export const STREAMS = {
  broker: 'mqtt/broker-1',
  gateway: 'gateway/devices',
  ota: 'ota/firmware',
  tsdb: 'tsdb/ingester',
  devices: 'devices/telemetry',
} as const;

/** A device model: its share of the fleet, firmware image bytes and median board temperature. */
export interface Model { name: string; share: number; image: number; temp: number }
export const MODELS: Model[] = [
  { name: 'th-sensor-v2', share: 0.45, image: 1_245_184, temp: 22 },
  { name: 'pm-meter-x3', share: 0.3, image: 1_843_200, temp: 38 },
  { name: 'cam-lite-4', share: 0.15, image: 7_864_320, temp: 46 },
  { name: 'gw-hub-1', share: 0.1, image: 3_407_872, temp: 41 },
];
export const REGIONS = ['eu-west', 'eu-north', 'us-east'];
export const NEW_REGIONS = ['ap-southeast', 'sa-east', 'me-central'];
export const CHANNELS = ['stable', 'beta'];
export const NEW_CHANNELS = ['nightly', 'dev', 'canary-internal'];
export const TENANTS = ['fleet-eu', 'fleet-us'];
export const NEW_TENANTS = ['fleet-ap', 'fleet-lab', 'fleet-test'];

export interface Device {
  id: string;
  model: Model;
  region: string;
  channel: string;
  /** The firmware it runs until its update (if any). */
  fw: string;
  /** MQTT protocol level as Mosquitto prints it (p2 = 3.1.1, p5 = 5.0). */
  proto: string;
  joinedAt: number;
  /** When it boots the rollout's firmware (undefined: not in this run). */
  updatedAt?: number;
}

export interface Firmware { stable: string; older: string; next: string; beta: string }
/** The rollout of `fw.next` to stable devices: stage k from `stages[k].at` covers `stages[k].pct` %. */
export interface Rollout { id: string; stages: { at: number; pct: number }[] }

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const iso = (ts: number): string => new Date(ts).toISOString();
const micro = (ts: number): number => Math.floor((ts * 7919) % 1000);

/** The run: its clock and rate, its fleet and firmware, the line formats. */
export interface W extends RunWorld {
  devices: Device[];
  /** A device that has joined by `ts`. */
  device: (ts: number) => Device;
  fwAt: (d: Device, ts: number) => string;
  fw: Firmware;
  rollout: Rollout;
  /** The edge load balancer's daily connection drain (04:00 UTC), 1.5-3 hours into the run. */
  drainAt: number;
  /** A device's address on its cellular or site network (fresh per connection). */
  ip: (d: Device) => string;
  mosq: (ts: number, msg: string) => string;
  zap: (ts: number, level: string, caller: string, msg: string, fields: Record<string, string | number>) => string;
  spring: (ts: number, level: string, thread: string, logger: string, msg: string) => string;
  logfmt: (ts: number, level: string, caller: string, tenant: string, msg: string, fields: Record<string, string | number>) => string;
  syslog: (ts: number, pri: number, host: string, msg: string) => string;
}

function firmware(seed: number, r: Random): Firmware {
  const major = 3 + (seed % 2), minor = 1 + (seed % 7), patch = r.int(2, 9);
  return { stable: `${major}.${minor}.${patch}`, older: `${major}.${minor}.${patch - 1}`, next: `${major}.${minor}.${patch + 1}`, beta: `${major}.${minor + 1}.0-rc.${1 + (seed % 4)}` };
}

function pickModel(r: Random): Model {
  let u = r.next();
  for (const m of MODELS) { u -= m.share; if (u < 0) return m; }
  return MODELS[0];
}

/** The fleet: 800-1400 devices at the start, one joining every ~7 minutes (the first in the warm-up). */
function fleet(r: Random, t0: number, end: number, fw: Firmware): Device[] {
  const make = (joinedAt: number): Device => {
    const channel = r.chance(0.06) ? 'beta' : 'stable';
    return {
      id: `dev-${r.hex(10)}`, model: pickModel(r), region: r.pick(REGIONS), channel,
      fw: channel === 'beta' ? fw.beta : r.chance(0.25) ? fw.older : fw.stable, proto: r.chance(0.8) ? 'p2' : 'p5', joinedAt,
    };
  };
  const out = Array.from({ length: r.int(800, 1400) }, () => make(t0 - r.int(1, 400) * 86_400_000));
  for (let at = t0 + r.int(5, 20) * 60_000; at < end; at += Math.round(r.exp(420_000)) + 30_000) out.push(make(at));
  return out;
}

/** The rollout of the next stable firmware: it starts 25-55 % into the run, 1 → 5 → 20 → 50 %. */
function rollout(r: Random, t0: number, end: number, devices: Device[]): Rollout {
  let at = t0 + Math.round((0.25 + 0.3 * r.next()) * (end - t0));
  const stages = [1, 5, 20, 50].map((pct) => { const s = { at, pct }; at += r.int(25, 45) * 60_000; return s; });
  for (const d of devices) {
    if (d.channel !== 'stable') continue;
    const u = r.next() * 100;
    const stage = stages.find((s) => s.pct > u);
    if (stage === undefined) continue;
    const when = Math.max(stage.at, d.joinedAt) + 60_000 + Math.round(r.exp(1_500_000));
    if (when < end) d.updatedAt = when;
  }
  return { id: `ro-${r.int(1000, 1999)}`, stages };
}

const lineMakers = (): Pick<W, 'mosq' | 'zap' | 'spring' | 'logfmt' | 'syslog'> => ({
  mosq: (ts, msg) => `${Math.floor(ts / 1000)}: ${msg}`,
  zap: (ts, level, caller, msg, fields) => {
    const line: Record<string, string | number> = { level, ts: Number(`${Math.floor(ts / 1000)}.${pad(ts % 1000, 3)}${pad(micro(ts), 3)}`), caller, msg, ...fields };
    if (level === 'error') line.stacktrace = `github.com/acme/iot-gateway/internal/${caller.split('/')[0]}.(*Handler).handle\n\t/src/internal/${caller}\ngithub.com/acme/iot-gateway/internal/server.(*Server).serve\n\t/src/internal/server/server.go:211`;
    return JSON.stringify(line);
  },
  spring: (ts, level, thread, logger, msg) => `${iso(ts).slice(0, 23).replace('T', ' ')} ${level.padStart(5)} 1 --- [${thread.padStart(15).slice(-15)}] ${logger.padEnd(40)} : ${msg}`,
  logfmt: (ts, level, caller, tenant, msg, fields) => `level=${level} ts=${iso(ts)} caller=${caller} tenant=${tenant} msg="${msg}"${Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`).join('')}`,
  syslog: (ts, pri, host, msg) => `<${pri}>1 ${iso(ts)} ${host} telemetryd ${100 + (Math.floor(ts / 8) % 900)} - - ${msg}`,
});

export function world(seed: number, minutes: number): W {
  const r = seeded(seed * 92_821 + 7);
  const day = Date.UTC(2026, 2, 9) + (seed % 400) * 86_400_000;
  const t0 = day + 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  const fw = firmware(seed, r);
  const devices = fleet(r, t0, end, fw);
  const plan = rollout(r, t0, end, devices);
  const rate = (t: number): number => 0.85 + 0.3 * Math.sin((Math.PI * (t - t0)) / (end - t0));
  return {
    r, seed, t0, end, rate, devices, fw, rollout: plan, drainAt: day + 4 * 3_600_000 + r.int(0, 60_000),
    ...lineMakers(),
    ...runClock(r, t0, end, rate, 1.2),
    row: logRow,
    device: (ts) => {
      for (;;) { const d = r.pick(devices); if (d.joinedAt <= ts) return d; }
    },
    fwAt: (d, ts) => (d.updatedAt !== undefined && ts >= d.updatedAt ? fw.next : d.fw),
    ip: (d) => `10.${64 + REGIONS.indexOf(d.region)}.${r.int(0, 255)}.${r.int(2, 254)}`,
  };
}
