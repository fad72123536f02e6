// The `health` generator's operational streams (see health.ts):
//   pacs/dicom    the modalities' studies stored (association, C-STORE summary with modality,
//                 accession, images and size, release), the reading workstations' queries and
//                 retrievals; benign: an unknown AE title rejected, a peer's abort, a portable
//                 ultrasound cart registered then sending studies
//   ehr/audit     every chart access by the staff on shift (views, medication administration,
//                 orders and notes signed, registrations, verifications), each from one of the
//                 user's workstations and mostly on the user's ward (consults and the pharmacy,
//                 radiology and the lab across wards); logins and logouts at the shift change,
//                 a mistyped password now and then, the new ward's staff from its opening
//   badge/access  the doors of the wards, the medication rooms, the pharmacy vault; the staff
//                 entrance busy at the shift change; benign: a door tried without access, a
//                 door held open
//   backup/etl    the hourly ETL to the clinical data warehouse (a deadlock retried now and
//                 then), the PACS archive's replication every 15 minutes, the hourly log backup
//                 and the nightly database backup from 20:00 UTC
import { byShare } from './random.js';
import { accession, assoc, etlRun, MODALITIES, NEW_WARD, onShift, patientOf, STREAMS, studyUid, WARDS, wardsAt, type Modality, type Row, type Staff, type W } from './health-lines.js';

const RADWS = ['RADWS_01', 'RADWS_02', 'RADWS_03', 'RADWS_04', 'RADWS_05', 'RADWS_06', 'RADWS_07', 'RADWS_08'];

/** A study's lines: association, C-STORE summary (images, size in MB overridable; labelled `kind` if any), release. */
export function study(w: W, rows: Row[], ts: number, ae: string, m: Pick<Modality, 'code' | 'images' | 'mbPer'>, o: { mb?: number; kind?: string; storeKind?: string } = {}): void {
  const { r } = w;
  const ctx = assoc(w, ts);
  const n = r.int(m.images[0], m.images[1]);
  const mb = o.mb ?? n * m.mbPer * (0.85 + 0.3 * r.next());
  const dur = Math.max(0.4, mb / w.around(12, 0.3));
  rows.push(w.row(ts, STREAMS.pacs, w.pacs(ts, 'INFO', ctx, `PACS_MAIN<-${ae} A-ASSOCIATE-AC ${w.aeIp[ae] ?? '10.30.9.9'}:${r.int(30_000, 60_000)} max-pdu=16384`), undefined, o.kind));
  const end = ts + Math.round(dur * 1000);
  rows.push(w.row(end, STREAMS.pacs, w.pacs(end, 'INFO', ctx, `C-STORE completed modality=${m.code} study=${studyUid(w)} acc=${accession(w, ts)} images=${n} size=${mb.toFixed(1)}MB dur=${dur.toFixed(1)}s status=0000`), undefined, o.storeKind ?? o.kind));
  rows.push(w.row(end + r.int(20, 200), STREAMS.pacs, w.pacs(end + 200, 'INFO', ctx, `A-RELEASE from ${ae}`), undefined, o.kind));
}

function pacs(w: W, rows: Row[]): void {
  const { r } = w;
  const SHARES = [{ m: 0, share: 30 }, { m: 1, share: 10 }, { m: 2, share: 25 }, { m: 3, share: 35 }];
  for (const ts of w.arrivals(0.012)) {
    const m = MODALITIES[byShare(r, SHARES).m];
    const aes = m.code === 'US' && ts >= w.newUsAe.from ? [...m.aes, w.newUsAe.ae] : m.aes;
    study(w, rows, ts, r.pick(aes), m);
  }
  for (const ts of w.arrivals(0.03)) {
    const ws = r.pick(RADWS), ctx = assoc(w, ts);
    rows.push(w.row(ts, STREAMS.pacs, w.pacs(ts, 'INFO', ctx, `PACS_MAIN<-${ws} C-FIND level=STUDY matches=${r.int(0, 40)} dur=${Math.round(w.around(120, 0.4))}ms`)));
    if (r.chance(0.4)) {
      const m = r.pick(MODALITIES), n = r.int(m.images[0], m.images[1]), mb = n * m.mbPer;
      const at = ts + r.int(1000, 8000);
      rows.push(w.row(at, STREAMS.pacs, w.pacs(at, 'INFO', ctx, `C-MOVE study=${studyUid(w)} dest=${ws} images=${n} size=${mb.toFixed(1)}MB dur=${(mb / w.around(40, 0.3)).toFixed(1)}s status=0000`)));
    }
  }
  for (const ts of w.arrivals(1 / 1800)) rows.push(rejected(w, ts, r.pick(['ANY-SCP', 'STORESCU', 'ECHOSCU', 'OSIRIX']), `10.30.${r.int(20, 90)}.${r.int(2, 250)}`));
  for (const ts of w.arrivals(1 / 2400)) {
    const m = r.pick(MODALITIES), ae = r.pick(m.aes);
    rows.push(w.row(ts, STREAMS.pacs, w.pacs(ts, 'WARN', assoc(w, ts), `A-ABORT from ${ae}: peer timeout after 60s, ${r.int(1, 40)} of ${r.int(41, 300)} images stored, will retry`)));
  }
  const at = w.newUsAe.from - 120_000;
  rows.push(w.row(at, STREAMS.pacs, w.pacs(at, 'INFO', 'config', `AE ${w.newUsAe.ae} registered host=${w.aeIp[w.newUsAe.ae]} port=104 modality=US`)));
}

/** An association refused for an unknown calling AE title (a normal but infrequent line; a misconfigured device repeats it). */
export const rejected = (w: W, ts: number, ae: string, ip: string, kind?: string): Row =>
  w.row(ts, STREAMS.pacs, w.pacs(ts, 'WARN', assoc(w, ts), `A-ASSOCIATE-RJ calling=${ae} host=${ip} result=rejected-permanent reason=calling-AE-title-not-recognized`), undefined, kind);

const ACTIONS: Record<Staff['role'], { a: string; sec?: string[]; share: number }[]> = {
  RN: [{ a: 'chart_view', sec: ['flowsheet', 'mar', 'notes', 'results', 'careplan'], share: 60 }, { a: 'mar_admin', share: 25 }, { a: 'note_sign', share: 10 }, { a: 'print', sec: ['wristband', 'careplan'], share: 1 }],
  MD: [{ a: 'chart_view', sec: ['results', 'notes', 'imaging', 'orders', 'summary'], share: 55 }, { a: 'order_sign', share: 25 }, { a: 'note_sign', share: 20 }],
  CLERK: [{ a: 'chart_view', sec: ['demographics', 'insurance'], share: 50 }, { a: 'register', share: 30 }, { a: 'schedule', share: 15 }, { a: 'print', sec: ['wristband', 'labels'], share: 5 }],
  PHARM: [{ a: 'chart_view', sec: ['mar', 'orders', 'allergies'], share: 50 }, { a: 'order_verify', share: 50 }],
  RADTECH: [{ a: 'chart_view', sec: ['orders', 'allergies'], share: 60 }, { a: 'exam_complete', share: 40 }],
  LABTECH: [{ a: 'result_verify', share: 70 }, { a: 'chart_view', sec: ['results', 'orders'], share: 30 }],
};
const CROSS: Staff['role'][] = ['PHARM', 'RADTECH', 'LABTECH'];

/** One EHR audit line (fields overridable; labelled `kind` if any). */
export function ehrLine(w: W, ts: number, s: Staff, f: Record<string, string | number>, kind?: string): Row {
  return w.row(ts, STREAMS.ehr, w.ehr(ts, { user: s.user, role: s.role, ws: w.r.pick(s.ws), ...f }), undefined, kind);
}

/** The patient a staff member opens: their own ward's mostly (consults 8 % for a physician), any ward for the pharmacy, radiology and the lab. */
export function chartOf(w: W, ts: number, s: Staff): { mrn: string; ward: string } {
  const ward = CROSS.includes(s.role) || (s.role === 'MD' && w.r.chance(0.08)) ? w.r.pick(wardsAt(w, ts)) : s.ward;
  return patientOf(w, ts, ward);
}

function ehr(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.3)) {
    const on = onShift(w, ts);
    const s = r.pick(on.filter((x) => x.role !== 'RN' || r.chance(0.6)));
    const act = byShare(r, ACTIONS[s.role]);
    const p = chartOf(w, ts, s);
    const f: Record<string, string | number> = { action: act.a, patient: p.mrn, dept: p.ward };
    if (act.sec !== undefined) f.section = r.pick(act.sec);
    rows.push(ehrLine(w, ts, s, { ...f, result: 'ok' }));
  }
  for (const s of w.staff) {
    const logIn = s.from > 0 ? s.from + r.int(0, 600_000) : s.shift === 'night' ? w.shiftAt - r.int(-900_000, 2_400_000) : -1;
    if (logIn >= w.t0 && logIn < w.end) rows.push(ehrLine(w, logIn, s, { action: 'login', result: 'ok', method: 'badge_tap' }));
    const logOut = s.shift === 'day' ? w.shiftAt + r.int(-600_000, 2_700_000) : -1;
    if (logOut >= w.t0 && logOut < w.end && s.from < logOut) rows.push(ehrLine(w, logOut, s, { action: 'logout', result: 'ok' }));
  }
  for (const ts of w.arrivals(0.012)) rows.push(ehrLine(w, ts, r.pick(onShift(w, ts)), { action: 'login', result: 'ok', method: r.pick(['badge_tap', 'badge_tap', 'password']) }));
  for (const ts of w.arrivals(1 / 1500)) rows.push(ehrLine(w, ts, r.pick(onShift(w, ts)), { action: 'login', result: 'failed', reason: 'bad_password' }));
}

const CTRL = (area: string): string => `acs-ctrl${String(1 + ((area.charCodeAt(0) + area.length) % 6)).padStart(2, '0')}`;
/** One badge event at a reader (labelled `kind` if any). */
export const badgeLine = (w: W, ts: number, reader: string, msg: string, kind?: string): Row => w.row(ts, STREAMS.badge, w.badge(ts, CTRL(reader), msg), undefined, kind);
/** The doors of a staff member's area. */
export const doorsOf = (s: Staff): string[] => (s.ward === 'PHARM' ? ['PHARM-MAIN', 'PHARM-VAULT'] : s.ward === 'LAB' ? ['LAB-MAIN', 'LAB-SPECIMEN'] : s.ward === 'RAD' ? ['RAD-CT', 'RAD-MR', 'RAD-MAIN'] : [`${s.ward}-MAIN`, `${s.ward}-MEDROOM`, `${s.ward}-SUPPLY`]);

function badge(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.07)) {
    const s = r.pick(onShift(w, ts)), door = r.pick(doorsOf(s));
    rows.push(badgeLine(w, ts, door, `ACCESS GRANTED reader=${door} badge=${s.badge} holder=${s.user}`));
  }
  const entrance = (): string => r.pick(['STAFF-ENTRANCE-N', 'STAFF-ENTRANCE-S', 'GARAGE-LINK']);
  for (const s of w.staff) {
    const arrive = s.from > 0 ? s.from - r.int(0, 300_000) : s.shift === 'night' ? w.shiftAt - r.int(-600_000, 2_700_000) : -1;
    if (arrive >= w.t0 && arrive < w.end) rows.push(badgeLine(w, arrive, 'STAFF-ENTRANCE', `ACCESS GRANTED reader=${entrance()} badge=${s.badge} holder=${s.user}`));
    const leave = s.shift === 'day' ? w.shiftAt + r.int(-300_000, 3_000_000) : -1;
    if (leave >= w.t0 && leave < w.end && s.from < leave) rows.push(badgeLine(w, leave, 'STAFF-ENTRANCE', `EGRESS reader=${entrance()} badge=${s.badge} holder=${s.user}`));
  }
  for (const ts of w.arrivals(1 / 900)) {
    const s = r.pick(onShift(w, ts)), other = r.pick(WARDS.filter((x) => x !== s.ward));
    rows.push(badgeLine(w, ts, other, `ACCESS DENIED (no access level) reader=${other}-MEDROOM badge=${s.badge} holder=${s.user}`));
  }
  for (const ts of w.arrivals(1 / 1500)) rows.push(doorHeld(w, ts, r.pick(['ED-AMBULANCE-BAY', 'LOADING-DOCK', 'ED-MAIN', `${r.pick(WARDS)}-SUPPLY`])));
  rows.push(badgeLine(w, w.wardAt - 900_000, NEW_WARD, `CONFIG readers added area=${NEW_WARD} readers=${NEW_WARD}-MAIN,${NEW_WARD}-MEDROOM,${NEW_WARD}-SUPPLY access_level=NURSING-${NEW_WARD}`));
}

/** A door held open (a normal but infrequent alarm; a propped door repeats it). */
export const doorHeld = (w: W, ts: number, reader: string, kind?: string): Row => badgeLine(w, ts, reader, `DOOR HELD OPEN reader=${reader} duration=${w.r.int(45, 180)}s`, kind);

/** One hourly ETL run's line (rows overridable; labelled `kind` if any). */
export function etlLine(w: W, ts: number, job: string, base: number, o: { rows?: number; kind?: string } = {}): Row {
  const n = o.rows ?? Math.round(w.around(base * w.rate(ts), 0.2));
  const rej = w.r.chance(0.2) ? w.r.int(1, 4) : 0;
  return w.row(ts, STREAMS.backup, w.backup(ts, 'INFO', `etl.cdw job=${job} run=${etlRun(w, ts)} rows_read=${n} rows_written=${n - rej} rejected=${rej} duration=${(n / w.around(120, 0.2)).toFixed(1)}s`), undefined, o.kind);
}
export const ETL_JOBS: [string, number][] = [['adt_incremental', 400], ['lab_results_incremental', 2600], ['orders_incremental', 900]];

function backup(w: W, rows: Row[]): void {
  const { r } = w;
  const first = w.t0 - (w.t0 % 3_600_000) + 300_000;
  for (let h = first; h < w.end; h += 3_600_000) {
    ETL_JOBS.forEach(([job, base], i) => {
      const ts = h + i * 45_000 + r.int(0, 20_000);
      if (ts < w.t0) return;
      if (r.chance(1 / 15)) rows.push(w.row(ts - 8000, STREAMS.backup, w.backup(ts - 8000, 'WARN', `etl.cdw job=${job} deadlock victim (SQLSTATE 40001), retry 1/3`)));
      rows.push(etlLine(w, ts, job, base));
    });
    const lb = h + 1_500_000 + r.int(0, 60_000);
    if (lb >= w.t0 && lb < w.end) rows.push(w.row(lb, STREAMS.backup, w.backup(lb, 'INFO', `backup job="EHR-Logs-Hourly" completed status=Success transferred=${w.around(6 * w.rate(lb), 0.2).toFixed(1)}GB duration=${r.int(90, 260)}s`)));
  }
  for (let ts = w.t0 + r.int(0, 899_999); ts < w.end; ts += 900_000 + r.int(-3000, 3000)) {
    const n = Math.round(w.around(140 * w.rate(ts), 0.3));
    rows.push(w.row(ts, STREAMS.backup, w.backup(ts, 'INFO', `replicate pacs-archive -> dr-site objects=${n} bytes=${(n * w.around(0.09, 0.3)).toFixed(1)}GB duration=${Math.round(n * w.around(0.6, 0.2))}s`)));
  }
  nightly(w, rows);
}

function nightly(w: W, rows: Row[]): void {
  const { r } = w;
  let ts = w.backupAt;
  const job = 'backup job="EHR-DB-Nightly"';
  rows.push(w.row(ts, STREAMS.backup, w.backup(ts, 'INFO', `${job} session=${w.uuid()} started target=dd9800-02 mode=incremental`)));
  let proc = 0, sent = 0;
  for (const db of ['EHRPROD_DATA01', 'EHRPROD_DATA02', 'EHRPROD_DATA03', 'EHRPROD_DATA04', 'EHRPROD_LOG', 'PACSDB', 'LISDB', 'CDW_STAGE']) {
    const gb = w.around(db.startsWith('EHRPROD_D') ? 310 : 60, 0.1), tx = gb / w.around(14, 0.2), mbs = w.around(420, 0.2);
    ts += Math.round((gb * 1024 * 1000) / mbs);
    proc += gb; sent += tx;
    rows.push(w.row(ts, STREAMS.backup, w.backup(ts, 'INFO', `${job} object=${db} processed=${gb.toFixed(1)}GB transferred=${tx.toFixed(1)}GB rate=${Math.round(mbs)}MB/s`)));
  }
  const d = Math.round((ts - w.backupAt) / 1000);
  const hms = `${String(Math.floor(d / 3600)).padStart(2, '0')}:${String(Math.floor((d % 3600) / 60)).padStart(2, '0')}:${String(d % 60).padStart(2, '0')}`;
  ts += r.int(2000, 9000);
  rows.push(w.row(ts, STREAMS.backup, w.backup(ts, 'INFO', `${job} completed status=Success processed=${proc.toFixed(1)}GB transferred=${sent.toFixed(1)}GB dedup=${(proc / sent).toFixed(1)}x duration=${hms}`)));
}

/** The operational streams' normal lines. */
export function operations(w: W, rows: Row[]): void {
  pacs(w, rows);
  ehr(w, rows);
  badge(w, rows);
  backup(w, rows);
}
