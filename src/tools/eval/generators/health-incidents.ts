// The `health` generator's labelled incidents (see health.ts), all after a 30-minute warm-up,
// none in the last minute, 5 s apart (random.ts timeApart):
//   interface_stall  one outbound HL7 interface (pharmacy ADT, lab orders or results to the EHR)
//                    failing for 5-12 minutes: its ACKs turn to AE, then AR, then no answer at all
//                    (resends), its queue depth climbing past the alert threshold, its statistics
//                    showing the messages held; then the reconnect and the held messages drained
//                    (the ACKs while 3 or more are still queued); drawn before the traffic
//   rare_burst       the seed's rare error in one long burst in the first half of the run (70-110
//                    lines in 50-120 s), and 2 bursts of a normal but infrequent line: a client's
//                    expired token refused again and again, a misconfigured modality's association
//                    rejected again and again, a kiosk's login failing again and again
//   rare_error       the seed's rare error (a PACS store refused for resources, a FHIR subscription
//                    delivery timing out, an HL7 result too long to parse) lone 6 times after its
//                    burst and 3 times anywhere; and 3 error templates never seen before (the
//                    archive's disk full, an analyzer's probe crash, the FHIR database's disk full,
//                    a VSS writer failing the backup, a badge controller's tamper switch, the
//                    EHR's audit queue overflowing)
//   unusual_value    5 known lines with an unusual value: a lab result 15-40× its test's usual
//                    value, a study 30-60× its modality's usual size, a FHIR route 40-90× its
//                    usual time, a 500 on a route that never fails, an ETL run reading 30-60×
//                    its usual rows
//   unseen_category  3 values never seen: a modality no device here sends, a unit no analyzer
//                    reports, an HL7 message type the engine never carried, a sending facility
//                    never seen, a FHIR resource type never requested, a ward that does not exist
//   record_snooping  2 per run: one user opening 18-35 charts of unrelated patients on other
//                    wards within minutes; or a user acting in a role and from another ward's
//                    workstation they never use (a login, charts opened, a print)
import { drainStall, fhirLine, fmt, ROUTES } from './health-clinical.js';
import { ehrLine, etlLine, ETL_JOBS, rejected, study } from './health-ops.js';
import { timeApart } from './random.js';
import { assoc, ctrl, MODALITIES, NEW_FACILITIES, NEW_MODALITIES, NEW_MSG_TYPES, NEW_UNITS, onShift, patientOf, specimen, STREAMS, TESTS, WARDS, WARMUP_MS, wardsAt, type Channel, type Row, type W } from './health-lines.js';

export const HEALTH_KINDS = ['interface_stall', 'rare_burst', 'rare_error', 'record_snooping', 'unseen_category', 'unusual_value'] as const;
/** Wards that do not exist here (unseen_category). */
export const NEW_WARDS = ['BURN', 'NICU', 'PSY-B'];
/** Resource types the FHIR server never serves here (unseen_category). */
export const NEW_RESOURCES = ['Consent', 'ResearchSubject', 'Claim', 'Device'];

/** The stalled interface, drawn before the traffic (its ACKs are written with it). */
export function planStall(w: W): void {
  const { r } = w;
  const channel = (['ADT_TO_PHARM', 'ORU_TO_EHR', 'ORM_TO_LIS'] as Channel[])[w.seed % 3];
  const span = r.int(5, 12) * 60_000;
  const lo = w.t0 + WARMUP_MS + 600_000, hi = w.end - span - 600_000;
  const from = lo + Math.floor(r.next() * Math.max(1, hi - lo));
  w.stall = { channel, from, to: from + span };
}

/** The seed's recurring rare error: one occurrence at ts. */
function rareOne(w: W, ts: number, kind = 'rare_error'): Row {
  const { r } = w;
  if (w.seed % 3 === 0) {
    const m = r.pick(MODALITIES.slice(0, 2)), ae = r.pick(m.aes);
    return w.row(ts, STREAMS.pacs, w.pacs(ts, 'ERROR', assoc(w, ts), `C-STORE failed modality=${m.code} from ${ae}: status=A700 Out of Resources, refused SOP instance ${r.int(1, 900)} of study 1.2.840.113619.2.55.3.${r.int(1e8, 9e8)}`), undefined, kind);
  }
  if (w.seed % 3 === 1) {
    return w.row(ts, STREAMS.fhir, w.fhir(ts, { level: 'ERROR', logger: 'ca.uhn.fhir.jpa.subscription', event: 'subscription', msg: 'Delivery of Subscription/lab-critical to https://pager.stj.local/hooks failed: java.net.SocketTimeoutException: Read timed out', attempt: r.int(1, 3), req_id: w.uuid() }), undefined, kind);
  }
  return w.row(ts, STREAMS.hl7, w.hl7(ts, 'ERROR', 'ORU_FROM_LIS', `Parse error ctrl=${ctrl(w, ts)}: OBX-5 exceeds maximum length 65536, message moved to error queue`), undefined, kind);
}

type NewError = (w: W, ts: number) => Row;
const NEW_ERRORS: NewError[] = [
  (w, ts) => w.row(ts, STREAMS.pacs, w.pacs(ts, 'ERROR', 'storage', `Failed to store object to /archive/fs3/${w.r.hex(8)}: java.io.IOException: No space left on device`)),
  (w, ts) => w.row(ts, STREAMS.lab, w.lab(ts, ['COBAS_C702_2', '', 'SYSTEM', '', '', 'E', '"Reagent probe crash detected on module 2; module stopped"'])),
  (w, ts) => w.row(ts, STREAMS.fhir, w.fhir(ts, { level: 'ERROR', logger: 'org.hibernate.engine.jdbc.spi.SqlExceptionHelper', event: 'exception', msg: `ERROR: could not extend file "base/16384/${w.r.int(20_000, 30_000)}": No space left on device`, req_id: w.uuid() })),
  (w, ts) => w.row(ts, STREAMS.backup, w.backup(ts, 'ERROR', 'backup job="EHR-Logs-Hourly" VSS writer \'SqlServerWriter\' failed with state Failed (0x800423f4), job aborted')),
  (w, ts) => w.row(ts, STREAMS.badge, w.badge(ts, 'acs-ctrl04', `CONTROLLER OFFLINE panel=${w.r.int(2, 9)} reason="tamper switch opened" readers=${w.r.int(4, 12)}`)),
  (w, ts) => w.row(ts, STREAMS.ehr, w.ehr(ts, { level: 'error', component: 'auditd', msg: `audit queue overflow, ${w.r.int(40, 900)} events dropped` })),
];

function retryStorm(w: W, rows: Row[], ts: number, which: number, span: number): void {
  const RB = 'rare_burst';
  const { r } = w;
  const n = r.int(40, 100);
  const rt = ROUTES.filter((x) => x.who !== 'system')[r.int(0, 7)], p = patientOf(w, ts, r.pick(wardsAt(w, ts)));
  const ae = r.pick(['STORESCU', 'US_ROOM_9', 'CT_SCAN_2']), ip = `10.30.${r.int(20, 90)}.${r.int(2, 250)}`;
  const kiosk = r.pick(onShift(w, ts, 'CLERK'));
  for (let j = 0; j < n; j++) {
    const at = ts + Math.round((j * span) / n) + r.int(0, 300);
    if (which === 0) rows.push(fhirLine(w, at, rt, { status: 401, ms: r.int(2, 6), outcome: 'invalid_token', p }, RB));
    else if (which === 1) rows.push(rejected(w, at, ae, ip, RB));
    else rows.push(ehrLine(w, at, kiosk, { ws: kiosk.ws[0], action: 'login', result: 'failed', reason: 'bad_password' }, RB));
  }
}

function unusualValue(w: W, rows: Row[], ts: number, which: number): void {
  const UV = 'unusual_value';
  const { r } = w;
  if (which === 0) {
    const t = r.pick(TESTS.filter((x) => x.code !== 'CRP' && x.code !== 'TROP_HS'));
    const v = t.mid * r.int(15, 40);
    const an = r.pick(w.analyzers.filter((a) => a.family === t.family && a.from === 0)).name;
    rows.push(w.row(ts, STREAMS.lab, w.lab(ts, [an, specimen(w, ts), t.code, fmt(t, v), t.units, 'HH', 'F']), undefined, UV));
  } else if (which === 1) {
    const m = r.pick(MODALITIES.filter((x) => x.code === 'US' || x.code === 'CR'));
    study(w, rows, ts, r.pick(m.aes), m, { mb: m.images[1] * m.mbPer * r.int(30, 60), storeKind: UV });
  } else if (which === 2) {
    const rt = r.pick(ROUTES.filter((x) => x.ms < 60));
    rows.push(fhirLine(w, ts, rt, { ms: Math.round(rt.ms * r.int(40, 90)) }, UV));
  } else if (which === 3) {
    const rt = r.pick(ROUTES.filter((x) => x.resource === 'Patient' || x.method === 'POST'));
    rows.push(fhirLine(w, ts, rt, { status: r.pick([500, 503]), outcome: 'exception' }, UV));
  } else {
    const [job, base] = r.pick(ETL_JOBS);
    rows.push(etlLine(w, ts, job, base, { rows: Math.round(base * r.int(30, 60) * (0.9 + 0.2 * r.next())), kind: UV }));
  }
}

function unseenCategory(w: W, rows: Row[], ts: number, which: number): void {
  const UC = 'unseen_category';
  const { r } = w;
  const p = patientOf(w, ts, r.pick(wardsAt(w, ts)));
  const received = (type: string, fac: string, ward: string, segs: string): void => {
    const id = ctrl(w, ts);
    rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', 'ADT_FROM_EHR', `Received ${type} ctrl=${id} MSH-4=${fac} PID-3=${p.mrn}^^^STJ^MR PV1-3=${ward}^${r.int(1, 40)}^${r.pick(['A', 'B'])} seg=${segs}`), undefined, UC));
    rows.push(w.row(ts + 4, STREAMS.hl7, w.hl7(ts + 4, 'INFO', 'ADT_FROM_EHR', `Routed ctrl=${id} to ADT_TO_RIS,ADT_TO_LIS,ADT_TO_PHARM`)));
  };
  if (which === 0) {
    const m = r.pick(MODALITIES);
    study(w, rows, ts, r.pick(m.aes), { code: r.pick(NEW_MODALITIES), images: m.images, mbPer: m.mbPer }, { storeKind: UC });
  } else if (which === 1) {
    const code = r.pick(Object.keys(NEW_UNITS)), t = TESTS.find((x) => x.code === code);
    if (t === undefined) return;
    const v = t.units === 'g/L' ? t.mid / 10 : code === 'NA' ? t.mid : code === 'GLU' ? t.mid * 18 : t.mid / 88.4;
    const an = r.pick(w.analyzers.filter((a) => a.family === t.family && a.from === 0)).name;
    rows.push(w.row(ts, STREAMS.lab, w.lab(ts, [an, specimen(w, ts), code, v.toFixed(1), NEW_UNITS[code], 'N', 'F']), undefined, UC));
  } else if (which === 2) received(r.pick(NEW_MSG_TYPES), 'STJ_EHR', p.ward, 'MSH,EVN,PID,PV1,MRG');
  else if (which === 3) received('ADT^A04', r.pick(NEW_FACILITIES), 'ED', 'MSH,EVN,PID,PD1,NK1,PV1,PV2,IN1,GT1');
  else if (which === 4) {
    const rt = r.pick(ROUTES.filter((x) => x.method === 'GET' && x.search !== ''));
    rows.push(fhirLine(w, ts, rt, { resource: r.pick(NEW_RESOURCES) }, UC));
  } else received('ADT^A02', 'STJ_EHR', r.pick(NEW_WARDS), 'MSH,EVN,PID,PV1');
}

function snooping(w: W, rows: Row[], ts: number, which: number): void {
  const RS = 'record_snooping';
  const { r } = w;
  const s = r.pick(onShift(w, ts).filter((x) => x.role === 'RN' || x.role === 'CLERK'));
  const others = WARDS.filter((x) => x !== s.ward);
  if (which === 0) {
    const n = r.int(18, 35), ws = r.pick(s.ws);
    let at = ts;
    for (let i = 0; i < n; i++, at += r.int(8000, 25_000)) {
      const p = patientOf(w, at, r.pick(others));
      rows.push(ehrLine(w, at, s, { ws, action: 'chart_view', patient: p.mrn, dept: p.ward, section: r.pick(['demographics', 'notes', 'results', 'summary']), result: 'ok' }, RS));
    }
    return;
  }
  const ward = r.pick(others.filter((x) => x !== 'ED')), ws = `WS-${ward}-${String(r.int(13, 20))}`, role = s.role === 'RN' ? 'MD' : 'PHARM';
  rows.push(ehrLine(w, ts, s, { role, ws, action: 'login', result: 'ok', method: 'password' }, RS));
  let at = ts + r.int(20_000, 60_000);
  for (let i = r.int(4, 8); i > 0; i--, at += r.int(15_000, 60_000)) {
    const p = patientOf(w, at, ward);
    rows.push(ehrLine(w, at, s, { role, ws, action: 'chart_view', patient: p.mrn, dept: p.ward, section: r.pick(['notes', 'results', 'summary']), result: 'ok' }, RS));
  }
  const p = patientOf(w, at, ward);
  rows.push(ehrLine(w, at, s, { role, ws, action: 'print', patient: p.mrn, dept: p.ward, section: 'summary', result: 'ok' }, RS));
}

/** Every kind at random times after the warm-up, then the stalled interface drained. The draws are in this order (a seed's set depends on it). */
export function injectHealthIncidents(w: W, rows: Row[]): void {
  const { r } = w;
  const lo = w.t0 + WARMUP_MS, hi = w.end - 60_000;
  const busy: [number, number][] = w.stall === undefined ? [] : [[w.stall.from - 60_000, w.stall.to + 120_000]];
  const at = timeApart(r, lo, hi, busy);
  const burstSpan = r.int(50, 120) * 1000;
  const burstAt = at(burstSpan, lo, lo + Math.floor((hi - lo) / 2));
  const burstN = r.int(70, 110);
  for (let j = 0; j < burstN; j++) rows.push(rareOne(w, burstAt + Math.round((j * burstSpan) / burstN) + r.int(0, 400), 'rare_burst'));
  for (let i = 0; i < 6; i++) rows.push(rareOne(w, at(0, burstAt + burstSpan + 60_000)));
  for (let i = 0; i < 3; i++) rows.push(rareOne(w, at()));
  for (let i = 0; i < 3; i++) rows.push({ ...NEW_ERRORS[(w.seed * 3 + i) % NEW_ERRORS.length](w, at()), kind: 'rare_error' });
  for (let i = 0; i < 2; i++) { const span = r.int(20, 90) * 1000; retryStorm(w, rows, at(span), (w.seed + i) % 3, span); }
  for (let i = 0; i < 5; i++) unusualValue(w, rows, at(420_000), (w.seed + i) % 5);
  for (let i = 0; i < 3; i++) unseenCategory(w, rows, at(), (w.seed + i) % 6);
  for (let i = 0; i < 2; i++) snooping(w, rows, at(600_000), (w.seed + i) % 2);
  drainStall(w, rows);
}
