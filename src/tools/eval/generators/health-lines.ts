// The `health` generator's world and line formats (see health.ts): one seeded source shared by
// every stream. The wards, their census of patients, the staff (day and night shifts, each with a
// role, a home ward and its workstations), the lab's analyzers and tests, the imaging modalities
// and the run's fixed benign events (a ward opening, an analyzer and an ultrasound cart coming
// online, the shift change, the nightly backup) are drawn first, so every stream tells one story.
// Formats:
//   hl7     the interface engine's log (plain text: date time,ms LEVEL [CHANNEL] message, with
//           HL7 v2 segment and field summaries: MSH-4, PID-3, PV1-3, MSA|AA|ctrl)
//   fhir    the FHIR server's access/audit events (JSON, one object a line)
//   pacs    the PACS/DICOM node (plain text: date time.ms LEVEL [assoc-N] message)
//   lab     the lab instruments' results (CSV: time, analyzer, specimen, test, value, units, flag, status)
//   ehr     the EHR's audit trail (logfmt)
//   badge   the badge/door access controllers (syslog, OnGuard-like)
//   backup  the nightly backup and the hourly ETL to the clinical data warehouse (plain text)
import { logRow, type LabelledRow, type RunWorld } from './labelled.js';
import { runClock, seeded, type Random } from './random.js';

export type Row = LabelledRow;

/** No incident in the first 30 minutes of event time. */
export const WARMUP_MS = 1_800_000;

export const STREAMS = {
  hl7: 'hl7/engine',
  fhir: 'fhir/server',
  pacs: 'pacs/dicom',
  lab: 'lab/instruments',
  ehr: 'ehr/audit',
  badge: 'badge/access',
  backup: 'backup/etl',
} as const;

export const WARDS = ['4W', '4E', '5W', 'ICU', 'ED', 'MAT', 'ONC', 'PEDS', 'CARD', 'SURG'] as const;
/** The ward opened during the run (benign: announced, then used by its staff and its patients). */
export const NEW_WARD = '5E';
/** Known HL7 message types, and ones this engine never carries (unseen_category). */
export const MSG_TYPES = ['ADT^A01', 'ADT^A02', 'ADT^A03', 'ADT^A04', 'ADT^A08', 'ORM^O01', 'ORU^R01'];
export const NEW_MSG_TYPES = ['ADT^A40', 'MDM^T02', 'SIU^S12', 'DFT^P03'];
export const FACILITIES = ['STJ_EHR', 'STJ_LIS', 'STJ_RIS'];
export const NEW_FACILITIES = ['MERCY_EHR', 'STJ_TEST', 'CLINIC_NORTH'];
export const OUT_CHANNELS = ['ADT_TO_RIS', 'ADT_TO_LIS', 'ADT_TO_PHARM', 'ORM_TO_LIS', 'ORM_TO_RIS', 'ORU_TO_EHR'] as const;
export type Channel = (typeof OUT_CHANNELS)[number];

export type Role = 'RN' | 'MD' | 'CLERK' | 'PHARM' | 'RADTECH' | 'LABTECH';
/** A staff member: login, role, home ward, its workstations, badge number, shift, first day on the job (a new user). */
export interface Staff { user: string; role: Role; ward: string; ws: string[]; badge: string; shift: 'day' | 'night'; from: number }
export interface Patient { mrn: string; ward: string; from: number }

/** A lab test: analyzer family, code, usual centre and spread (log-normal), units, reference range, decimals. */
export interface Test { family: string; code: string; mid: number; spread: number; units: string; lo: number; hi: number; dp: number }
export const TESTS: Test[] = [
  { family: 'COBAS_C702', code: 'NA', mid: 139, spread: 0.02, units: 'mmol/L', lo: 135, hi: 145, dp: 0 },
  { family: 'COBAS_C702', code: 'K', mid: 4.2, spread: 0.09, units: 'mmol/L', lo: 3.5, hi: 5.1, dp: 1 },
  { family: 'COBAS_C702', code: 'CREA', mid: 82, spread: 0.3, units: 'umol/L', lo: 60, hi: 110, dp: 0 },
  { family: 'COBAS_C702', code: 'GLU', mid: 6.1, spread: 0.25, units: 'mmol/L', lo: 3.9, hi: 7.8, dp: 1 },
  { family: 'COBAS_C702', code: 'CRP', mid: 9, spread: 1.0, units: 'mg/L', lo: 0, hi: 5, dp: 1 },
  { family: 'COBAS_E801', code: 'TROP_HS', mid: 8, spread: 0.6, units: 'ng/L', lo: 0, hi: 14, dp: 0 },
  { family: 'COBAS_E801', code: 'TSH', mid: 1.9, spread: 0.45, units: 'mIU/L', lo: 0.4, hi: 4.0, dp: 2 },
  { family: 'SYSMEX_XN', code: 'WBC', mid: 8.1, spread: 0.3, units: '10^9/L', lo: 4.0, hi: 11.0, dp: 1 },
  { family: 'SYSMEX_XN', code: 'HGB', mid: 128, spread: 0.12, units: 'g/L', lo: 120, hi: 170, dp: 0 },
  { family: 'SYSMEX_XN', code: 'PLT', mid: 250, spread: 0.3, units: '10^9/L', lo: 150, hi: 400, dp: 0 },
  { family: 'STAGO_STAR', code: 'INR', mid: 1.1, spread: 0.2, units: 'ratio', lo: 0.9, hi: 1.2, dp: 2 },
  { family: 'ABL_90', code: 'LAC', mid: 1.3, spread: 0.35, units: 'mmol/L', lo: 0.5, hi: 2.0, dp: 1 },
];
/** Units no analyzer here reports (unseen_category), by test code. */
export const NEW_UNITS: Record<string, string> = { GLU: 'mg/dL', HGB: 'g/dL', CREA: 'mg/dL', NA: 'mEq/L' };
/** Panels ordered (tests run together on one specimen). */
export const PANELS: Record<string, string[]> = {
  BMP: ['NA', 'K', 'CREA', 'GLU'], CBC: ['WBC', 'HGB', 'PLT'], COAG: ['INR'], TROP: ['TROP_HS'], CRP: ['CRP'], TSH: ['TSH'], LAC: ['LAC'],
};

/** Modalities: their AE titles and a study's images and MB per image. */
export interface Modality { code: string; aes: string[]; images: [number, number]; mbPer: number }
export const MODALITIES: Modality[] = [
  { code: 'CT', aes: ['CT_SCAN_01', 'CT_SCAN_02'], images: [150, 900], mbPer: 0.52 },
  { code: 'MR', aes: ['MR_SCAN_01'], images: [300, 1400], mbPer: 0.27 },
  { code: 'US', aes: ['US_ROOM_01', 'US_ROOM_02', 'US_ROOM_03'], images: [20, 80], mbPer: 0.8 },
  { code: 'CR', aes: ['CR_ED_01', 'DX_ROOM_01'], images: [1, 4], mbPer: 9.5 },
];
export const NEW_MODALITIES = ['NM', 'PT', 'MG', 'XA'];

export interface W extends RunWorld {
  staff: Staff[];
  patients: Patient[];
  analyzers: { name: string; family: string; from: number }[];
  /** Benign events: the ward opening, the new analyzer and ultrasound cart, the shift change, the nightly backup. */
  wardAt: number;
  shiftAt: number;
  backupAt: number;
  newUsAe: { ae: string; from: number };
  workstations: string[];
  /** The address of each AE title. */
  aeIp: Record<string, string>;
  seq: { ctrl: number; assoc: number; etl: number };
  /** The stalled interface (interface_stall), drawn before the traffic: its channel and stretch. */
  stall: { channel: Channel; from: number; to: number } | undefined;
  /** The messages held by the stalled interface: when and their control ids. */
  stalled: { ts: number; id: string }[];
  hl7: (ts: number, level: string, channel: string, msg: string) => string;
  fhir: (ts: number, fields: Record<string, string | number>) => string;
  pacs: (ts: number, level: string, ctx: string, msg: string) => string;
  lab: (ts: number, cols: (string | number)[]) => string;
  ehr: (ts: number, fields: Record<string, string | number>) => string;
  badge: (ts: number, host: string, msg: string) => string;
  backup: (ts: number, level: string, msg: string) => string;
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
const iso = (ts: number): string => new Date(ts).toISOString();
const kv = (f: Record<string, string | number>): string =>
  Object.entries(f).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ');

function formats(): Pick<W, 'hl7' | 'fhir' | 'pacs' | 'lab' | 'ehr' | 'badge' | 'backup'> {
  const stamp = (ts: number, sep: string): string => `${iso(ts).slice(0, 19).replace('T', ' ')}${sep}${iso(ts).slice(20, 23)}`;
  return {
    hl7: (ts, level, channel, msg) => `${stamp(ts, ',')} ${level.padEnd(5)} [${channel}] ${msg}`,
    fhir: (ts, fields) => JSON.stringify({ time: iso(ts), ...fields }),
    pacs: (ts, level, ctx, msg) => `${stamp(ts, '.')} ${level.padEnd(5)} [${ctx}] ${msg}`,
    lab: (ts, cols) => [iso(ts).slice(0, 19) + 'Z', ...cols].join(','),
    ehr: (ts, fields) => `ts=${iso(ts)} app=ehr ${kv(fields)}`,
    badge: (ts, host, msg) => {
      const d = new Date(ts);
      return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${host} OnGuard[2214]: ${msg}`;
    },
    backup: (ts, level, msg) => `[${iso(ts).slice(0, 19).replace('T', ' ')}] ${level} ${msg}`,
  };
}

const FIRST = ['anna', 'ben', 'chloe', 'david', 'elena', 'farah', 'grace', 'hugo', 'ines', 'jamal', 'kate', 'liam', 'maria', 'noah', 'olivia', 'priya', 'quinn', 'rosa', 'sam', 'tomas', 'uma', 'victor', 'wen', 'yara', 'zane'];
const LAST = ['adams', 'baker', 'chen', 'diaz', 'evans', 'fox', 'garcia', 'hill', 'ito', 'jones', 'khan', 'lopez', 'murphy', 'nguyen', 'okafor', 'patel', 'reyes', 'smith', 'tan', 'walsh'];

/** Staff of a ward for one shift: nurses, a clerk, physicians (and at the run level: pharmacy, radiology, the lab). */
function staffOf(r: Random, ward: string, shift: 'day' | 'night', from: number, taken: Set<string>): Staff[] {
  const out: Staff[] = [];
  const add = (role: Role, n: number, wsWard = ward): void => {
    for (let i = 0; i < n; i++) {
      let user = '';
      do user = `${r.pick(FIRST)[0]}${r.pick(LAST)}${r.chance(0.3) ? r.int(2, 9) : ''}`; while (taken.has(user));
      taken.add(user);
      const ws = Array.from({ length: r.int(1, 3) }, () => `WS-${wsWard}-${pad(r.int(1, 12))}`);
      out.push({ user, role, ward, ws: [...new Set(ws)], badge: String(r.int(10_000, 99_999)).padStart(7, '0'), shift, from });
    }
  };
  add('RN', shift === 'day' ? r.int(4, 7) : r.int(3, 5));
  add('MD', shift === 'day' ? r.int(2, 4) : 1);
  if (shift === 'day' || ward === 'ED') add('CLERK', 1);
  return out;
}

function people(r: Random, t0: number, wardAt: number): { staff: Staff[]; patients: Patient[] } {
  const taken = new Set<string>();
  const staff: Staff[] = [];
  for (const ward of WARDS) for (const shift of ['day', 'night'] as const) staff.push(...staffOf(r, ward, shift, 0, taken));
  for (const shift of ['day', 'night'] as const) {
    staff.push(...staffOf(r, 'PHARM', shift, 0, taken).slice(0, 2).map((s) => ({ ...s, role: 'PHARM' as const })));
    staff.push(...staffOf(r, 'RAD', shift, 0, taken).slice(0, 3).map((s) => ({ ...s, role: 'RADTECH' as const })));
    staff.push(...staffOf(r, 'LAB', shift, 0, taken).slice(0, 3).map((s) => ({ ...s, role: 'LABTECH' as const })));
    staff.push(...staffOf(r, NEW_WARD, shift, wardAt, taken));
  }
  const patients: Patient[] = [];
  for (const ward of WARDS) {
    for (let i = r.int(ward === 'ED' ? 10 : 14, ward === 'ICU' ? 16 : 30); i > 0; i--) patients.push({ mrn: String(r.int(100_000, 9_999_999)).padStart(7, '0'), ward, from: t0 - 864e5 * r.int(0, 20) });
  }
  return { staff, patients };
}

export function world(seed: number, minutes: number): W {
  const r = seeded(seed * 91_237 + 41);
  const day = Date.UTC(2026, 1, 2) + (seed % 300) * 86_400_000;
  const t0 = day + 15 * 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  // a hospital's day: the peak at 13:00 UTC, the trough at 03:00
  const rate = (t: number): number => 0.85 + 0.55 * Math.cos((2 * Math.PI * ((t / 3_600_000) % 24 - 13)) / 24);
  const frac = (lo: number, hi: number): number => t0 + Math.round((lo + (hi - lo) * r.next()) * (end - t0));
  const wardAt = frac(0.12, 0.45);
  const { staff, patients } = people(r, t0, wardAt);
  const analyzers = [...new Set(TESTS.map((x) => x.family))].flatMap((family) => Array.from({ length: family === 'SYSMEX_XN' || family === 'COBAS_C702' ? 2 : 1 }, (_, i) => ({ name: `${family}_${i + 1}`, family, from: 0 })));
  analyzers.push({ name: 'SYSMEX_XN_3', family: 'SYSMEX_XN', from: frac(0.1, 0.6) });
  const aeIp: Record<string, string> = {};
  MODALITIES.forEach((m, i) => m.aes.forEach((ae, j) => { aeIp[ae] = `10.30.${4 + i}.${21 + j}`; }));
  const newUsAe = { ae: `US_PORTABLE_0${r.int(1, 4)}`, from: frac(0.1, 0.6) };
  aeIp[newUsAe.ae] = `10.30.6.${r.int(60, 90)}`;
  const workstations = [...new Set(staff.flatMap((s) => s.ws))];
  return {
    r, seed, t0, end, rate, row: logRow, staff, patients, analyzers, wardAt,
    shiftAt: day + 19 * 3_600_000,
    backupAt: day + 20 * 3_600_000 + r.int(0, 20) * 60_000,
    newUsAe, workstations, aeIp,
    seq: { ctrl: r.int(1e7, 8e7), assoc: r.int(1000, 9000), etl: r.int(10_000, 40_000) },
    stall: undefined,
    stalled: [],
    ...runClock(r, t0, end, rate, 1.45),
    ...formats(),
  };
}

/** The staff on shift at ts (the shifts overlap for 30 minutes at the change), of a role if given. */
export function onShift(w: W, ts: number, role?: Role): Staff[] {
  const day = ts < w.shiftAt + 900_000, night = ts >= w.shiftAt - 900_000;
  return w.staff.filter((s) => s.from <= ts && ((s.shift === 'day' && day) || (s.shift === 'night' && night)) && (role === undefined || s.role === role));
}

/** A patient of a ward (a fresh admission now and then: a new id), or of any ward. */
export function patientOf(w: W, ts: number, ward?: string): Patient {
  const pool = w.patients.filter((p) => p.from <= ts && (ward === undefined || p.ward === ward));
  if (pool.length === 0 || (ward !== undefined && w.r.chance(ward === 'ED' ? 0.25 : 0.02))) {
    const p = { mrn: String(w.r.int(100_000, 9_999_999)).padStart(7, '0'), ward: ward ?? 'ED', from: ts };
    w.patients.push(p);
    return p;
  }
  return w.r.pick(pool);
}

/** The wards open at ts. */
export const wardsAt = (w: W, ts: number): string[] => (ts >= w.wardAt ? [...WARDS, NEW_WARD] : [...WARDS]);
/** Ids from the event time, so that they grow with it whatever the order lines are drawn in: a control id (MSH-10), an association, an accession number, a specimen, an ETL run. */
export const ctrl = (w: W, ts: number): string => String(w.seq.ctrl + (ts - w.t0));
export const assoc = (w: W, ts: number): string => `assoc-${w.seq.assoc + Math.floor((ts - w.t0) / 200)}`;
const dayOf = (ts: number): string => iso(ts).slice(2, 10).replace(/-/g, '');
export const accession = (w: W, ts: number): string => `A${dayOf(ts)}${String(Math.floor((ts % 86_400_000) / 100)).padStart(6, '0')}`;
export const specimen = (w: W, ts: number): string => `S${dayOf(ts)}-${String(Math.floor((ts % 86_400_000) / 1000)).padStart(5, '0')}`;
export const etlRun = (w: W, ts: number): number => w.seq.etl + Math.floor((ts - w.t0) / 15_000);
export const studyUid = (w: W): string => `1.2.840.113619.2.55.3.${w.r.int(1e8, 9e8)}.${w.r.int(100, 999)}.${w.r.int(1e9, 9e9)}`;
