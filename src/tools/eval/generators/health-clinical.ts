// The `health` generator's clinical streams (see health.ts):
//   hl7/engine       ADT events from the EHR (admit, transfer, discharge, ED registration,
//                    update) routed to radiology, the lab and pharmacy; orders (ORM^O01) to the lab
//                    and radiology; results (ORU^R01) from the lab and radiology reports to the
//                    EHR; every outbound message acknowledged (MSA|AA) with its time and the
//                    channel's queue; each channel's statistics every 5 minutes; benign: an ACK
//                    timeout resent now and then, a lone AE (a table value not found), the new
//                    ward's location table loaded
//   lab/instruments  every specimen's results, one CSV row a test, flagged H/L against the
//                    reference range (HH/LL now and then: sick patients), a corrected result now
//                    and then, each analyzer's QC every 4 hours, a new analyzer's first QC then its
//                    results
//   fhir/server      the patient portal, the nurses' mobile app, a sepsis CDS service, a SMART app
//                    and the regional exchange, each route with its own latency; benign: a
//                    patient id not found, an expired token, a heavy search timing out, the hourly
//                    bulk export and its status polls
import { byShare } from './random.js';
import { ctrl, patientOf, specimen, STREAMS, TESTS, PANELS, wardsAt, type Channel, type Patient, type Row, type Test, type W } from './health-lines.js';

/** An outbound channel's ACK of message `id` sent at ts: normal, or the stalled interface's failures (interface_stall). */
export function ack(w: W, rows: Row[], ts: number, ch: Channel, id: string): void {
  const { r } = w;
  const s = w.stall;
  if (s !== undefined && s.channel === ch && ts >= s.from && ts < s.to) { w.stalled.push({ ts, id }); return; }
  const ms = Math.round(w.around(ch === 'ADT_TO_PHARM' ? 65 : 35, 0.45));
  const q = r.chance(0.08) ? r.int(1, 2) : 0;
  if (r.chance(1 / 700)) {
    rows.push(w.row(ts + 15_000, STREAMS.hl7, w.hl7(ts + 15_000, 'WARN', ch, `No ACK for ctrl=${id} within 15000ms, resending (attempt 2/3)`)));
    rows.push(w.row(ts + 15_000 + ms, STREAMS.hl7, w.hl7(ts + 15_000 + ms, 'INFO', ch, `ACK MSA|AA|${id} in ${ms}ms queue=${q + 1}`)));
  } else if (r.chance(1 / 900)) {
    rows.push(w.row(ts + ms, STREAMS.hl7, w.hl7(ts + ms, 'WARN', ch, `ACK MSA|AE|${id} ERR|||103^Table value not found^HL70357|E|PV1-3 in ${ms}ms queue=${q}`)));
  } else rows.push(w.row(ts + ms, STREAMS.hl7, w.hl7(ts + ms, 'INFO', ch, `ACK MSA|AA|${id} in ${ms}ms queue=${q}`)));
}

/**
 * The stalled interface's lines (interface_stall), the held messages in time order: application
 * errors first (AE), then rejects (AR), then no answer at all (resends); its queue depth alarms;
 * then the reconnect and the held messages drained (the ACKs while 3 or more are still queued).
 */
export function drainStall(w: W, rows: Row[]): void {
  const IS = 'interface_stall';
  const s = w.stall;
  if (s === undefined) return;
  const { r } = w;
  const ch = s.channel;
  const held = w.stalled.sort((a, b) => a.ts - b.ts);
  held.forEach(({ ts, id }, i) => {
    const phase = (ts - s.from) / (s.to - s.from), ms = Math.round(w.around(40, 0.4));
    if (phase < 0.5) {
      rows.push(w.row(ts + ms, STREAMS.hl7, w.hl7(ts + ms, 'WARN', ch, `ACK MSA|${phase < 0.3 ? 'AE' : 'AR'}|${id} ERR|||207^Application internal error^HL70357|E in ${ms}ms queue=${i + 1}`), undefined, IS));
      return;
    }
    for (const n of [2, 3]) {
      const at = ts + 15_000 * (n - 1);
      if (at < s.to) rows.push(w.row(at, STREAMS.hl7, w.hl7(at, 'WARN', ch, `No ACK for ctrl=${id} within 15000ms, resending (attempt ${n}/3)`), undefined, IS));
    }
  });
  for (let ts = s.from + 60_000; ts < s.to; ts += 60_000) {
    const q = held.filter((x) => x.ts < ts).length;
    if (q >= 10) rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'WARN', ch, `Queue depth ${q} exceeds alert threshold 10`), undefined, IS));
  }
  rows.push(w.row(s.to, STREAMS.hl7, w.hl7(s.to, 'INFO', ch, `Connection re-established, resending ${held.length} queued messages`), undefined, IS));
  held.forEach((m, i) => {
    const at = s.to + 400 + i * 120 + r.int(0, 60);
    const q = held.length - i - 1;
    rows.push(w.row(at, STREAMS.hl7, w.hl7(at, 'INFO', ch, `ACK MSA|AA|${m.id} in ${r.int(20, 60)}ms queue=${q}`), undefined, q >= 3 ? IS : undefined));
  });
}

function adt(w: W, rows: Row[]): void {
  const { r } = w;
  const TYPES = [{ t: 'ADT^A08', share: 40 }, { t: 'ADT^A01', share: 15 }, { t: 'ADT^A02', share: 10 }, { t: 'ADT^A03', share: 15 }, { t: 'ADT^A04', share: 20 }];
  for (const ts of w.arrivals(0.035)) {
    const type = byShare(r, TYPES).t;
    const ward = type === 'ADT^A04' ? 'ED' : r.pick(wardsAt(w, ts));
    const p = patientOf(w, ts, ward);
    const id = ctrl(w, ts);
    const segs = type === 'ADT^A01' || type === 'ADT^A04' ? 'MSH,EVN,PID,PD1,NK1,PV1,PV2,IN1,GT1' : type === 'ADT^A03' ? 'MSH,EVN,PID,PV1,DG1' : 'MSH,EVN,PID,PV1';
    rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', 'ADT_FROM_EHR', `Received ${type} ctrl=${id} MSH-4=STJ_EHR PID-3=${p.mrn}^^^STJ^MR PV1-3=${ward}^${r.int(1, 40)}^${r.pick(['A', 'B'])} seg=${segs}`)));
    rows.push(w.row(ts + 4, STREAMS.hl7, w.hl7(ts + 4, 'INFO', 'ADT_FROM_EHR', `Routed ctrl=${id} to ADT_TO_RIS,ADT_TO_LIS,ADT_TO_PHARM`)));
    for (const ch of ['ADT_TO_RIS', 'ADT_TO_LIS', 'ADT_TO_PHARM'] as const) ack(w, rows, ts + 6, ch, id);
  }
  for (const ts of w.arrivals(0.03)) {
    const lab = r.chance(0.7);
    const p = patientOf(w, ts, r.pick(wardsAt(w, ts)));
    const id = ctrl(w, ts);
    const code = lab ? r.pick(Object.keys(PANELS)) : r.pick(['CTHEAD', 'CTCHEST', 'MRBRAIN', 'USABD', 'XRCHEST', 'XRCHEST']);
    rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', 'ORM_FROM_EHR', `Received ORM^O01 ctrl=${id} MSH-4=STJ_EHR PID-3=${p.mrn}^^^STJ^MR ORC-1=NW OBR-4=${code} seg=MSH,PID,PV1,ORC,OBR`)));
    ack(w, rows, ts + 5, lab ? 'ORM_TO_LIS' : 'ORM_TO_RIS', id);
  }
  for (const ts of w.arrivals(0.008)) {
    const p = patientOf(w, ts, r.pick(wardsAt(w, ts)));
    oru(w, rows, ts, 'STJ_RIS', p, `OBR-4=${r.pick(['CTHEAD', 'CTCHEST', 'MRBRAIN', 'USABD', 'XRCHEST'])} OBX=${r.int(1, 3)}`);
  }
}

/** A result message into the EHR (ORU^R01) and its ACK. */
export function oru(w: W, rows: Row[], ts: number, from: string, p: Patient, what: string, kind?: string): void {
  const id = ctrl(w, ts);
  rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', from === 'STJ_LIS' ? 'ORU_FROM_LIS' : 'ORU_FROM_RIS', `Received ORU^R01 ctrl=${id} MSH-4=${from} PID-3=${p.mrn}^^^STJ^MR ${what} seg=MSH,PID,PV1,ORC,OBR,OBX`), undefined, kind));
  ack(w, rows, ts + 5, 'ORU_TO_EHR', id);
}

function hl7Stats(w: W, rows: Row[]): void {
  const { r } = w;
  const CHS: Channel[] = ['ADT_TO_RIS', 'ADT_TO_LIS', 'ADT_TO_PHARM', 'ORM_TO_LIS', 'ORM_TO_RIS', 'ORU_TO_EHR'];
  for (const ch of CHS) {
    for (let ts = w.t0 + r.int(0, 299_999); ts < w.end; ts += 300_000) {
      const s = w.stall;
      const held = s !== undefined && s.channel === ch && ts >= s.from && ts < s.to ? w.stalled.filter((x) => x.ts < ts).length : -1;
      const sent = Math.round(w.around(ch.startsWith('ADT') ? 10 * w.rate(ts) : 8 * w.rate(ts), 0.3));
      if (held > 0) rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', ch, `Stats sent=0 errored=${held} queued=${held} avg_ack_ms=0`), undefined, 'interface_stall'));
      else rows.push(w.row(ts, STREAMS.hl7, w.hl7(ts, 'INFO', ch, `Stats sent=${sent} errored=0 queued=0 avg_ack_ms=${Math.round(w.around(ch === 'ADT_TO_PHARM' ? 65 : 35, 0.15))}`)));
    }
  }
  rows.push(w.row(w.wardAt - 600_000, STREAMS.hl7, w.hl7(w.wardAt - 600_000, 'INFO', 'ADT_FROM_EHR', 'Lookup table LOCATIONS reloaded: 11 units, 1 added (5E), 0 removed')));
}

/** A test's value as the analyzer prints it. */
export const fmt = (t: Test, v: number): string => v.toFixed(t.dp);
export const flagOf = (t: Test, v: number): string => (v > t.hi * 1.6 ? 'HH' : v > t.hi ? 'H' : v < t.lo * 0.6 ? 'LL' : v < t.lo ? 'L' : 'N');

/** A specimen's results on one analyzer (every test of its panel), then its ORU into the EHR. */
export function labResults(w: W, rows: Row[], ts: number, panel: string, p: Patient): void {
  const { r } = w;
  const sp = specimen(w, ts);
  const tests = PANELS[panel].map((code) => TESTS.find((t) => t.code === code) as Test);
  const analyzers = w.analyzers.filter((a) => a.family === tests[0].family && a.from + 300_000 <= ts);
  const an = r.pick(analyzers).name;
  const sick = r.chance(0.15) ? (r.chance(0.6) ? 1.5 + r.next() : 0.55 + 0.2 * r.next()) : 1;
  tests.forEach((t, i) => {
    const v = w.around(t.mid * sick, t.spread);
    const at = ts + i * r.int(200, 900);
    const status = r.chance(0.004) ? 'C' : 'F';
    rows.push(w.row(at, STREAMS.lab, w.lab(at, [an, sp, t.code, fmt(t, v), t.units, flagOf(t, v), status])));
  });
  oru(w, rows, ts + tests.length * 900 + r.int(500, 3000), 'STJ_LIS', p, `OBR-4=${panel} OBX=${tests.length} SPM-2=${sp}`);
}

function lab(w: W, rows: Row[]): void {
  const { r } = w;
  const SHARES = [{ p: 'BMP', share: 30 }, { p: 'CBC', share: 30 }, { p: 'COAG', share: 9 }, { p: 'TROP', share: 10 }, { p: 'CRP', share: 10 }, { p: 'TSH', share: 5 }, { p: 'LAC', share: 6 }];
  for (const ts of w.arrivals(0.045)) {
    const panel = byShare(r, SHARES).p;
    const ward = panel === 'LAC' ? r.pick(['ICU', 'ED']) : r.pick(wardsAt(w, ts));
    labResults(w, rows, ts, panel, patientOf(w, ts, ward));
  }
  for (const a of w.analyzers) {
    for (let ts = a.from > 0 ? a.from : w.t0 + r.int(0, 14_399_999); ts < w.end; ts += 14_400_000 + r.int(-60_000, 60_000)) {
      TESTS.filter((t) => t.family === a.family).forEach((t, i) => {
        for (const level of [1, 2]) {
          const at = ts + i * 2000 + level * 700;
          const v = w.around(t.mid * (level === 1 ? 0.8 : 1.6), 0.02);
          rows.push(w.row(at, STREAMS.lab, w.lab(at, [a.name, `QC-L${level}-${new Date(at).toISOString().slice(2, 7).replace('-', '')}`, t.code, fmt(t, v), t.units, 'N', 'QC'])));
        }
      });
    }
  }
}

/** A FHIR route: its client, method, resource, median time, share of traffic and who calls it. */
export interface Route { client: string; method: 'GET' | 'POST'; resource: string; search: string; ms: number; share: number; who: 'patient' | 'nurse' | 'system' }
export const ROUTES: Route[] = [
  { client: 'patient-portal', method: 'GET', resource: 'Patient', search: '', ms: 22, share: 10, who: 'patient' },
  { client: 'patient-portal', method: 'GET', resource: 'Observation', search: 'category=laboratory&_count=50', ms: 85, share: 12, who: 'patient' },
  { client: 'patient-portal', method: 'GET', resource: 'Appointment', search: 'date=ge2026-01-01', ms: 40, share: 6, who: 'patient' },
  { client: 'patient-portal', method: 'GET', resource: 'DiagnosticReport', search: '_include=DiagnosticReport:result', ms: 140, share: 5, who: 'patient' },
  { client: 'nursing-mobile', method: 'GET', resource: 'Patient', search: 'identifier=', ms: 18, share: 10, who: 'nurse' },
  { client: 'nursing-mobile', method: 'POST', resource: 'Observation', search: '', ms: 55, share: 12, who: 'nurse' },
  { client: 'nursing-mobile', method: 'GET', resource: 'MedicationRequest', search: 'status=active', ms: 60, share: 8, who: 'nurse' },
  { client: 'nursing-mobile', method: 'POST', resource: 'MedicationAdministration', search: '', ms: 70, share: 6, who: 'nurse' },
  { client: 'cds-sepsis', method: 'GET', resource: 'Observation', search: 'code=http://loinc.org|2524-7,6690-2,8310-5&_sort=-date', ms: 45, share: 10, who: 'system' },
  { client: 'cds-sepsis', method: 'GET', resource: 'Condition', search: 'clinical-status=active', ms: 35, share: 4, who: 'system' },
  { client: 'smart-cardio-risk', method: 'GET', resource: 'Observation', search: 'code=http://loinc.org|2093-3,2085-9', ms: 95, share: 3, who: 'system' },
  { client: 'hie-gateway', method: 'GET', resource: 'DocumentReference', search: 'type=http://loinc.org|34133-9', ms: 210, share: 4, who: 'system' },
];

/** One FHIR request line (fields overridable: status, ms; labelled `kind` if any). */
export function fhirLine(w: W, ts: number, rt: Route, o: { status?: number; ms?: number; resource?: string; outcome?: string; p?: Patient } = {}, kind?: string): Row {
  const { r } = w;
  const p = o.p ?? patientOf(w, ts, r.pick(wardsAt(w, ts)));
  const resource = o.resource ?? rt.resource;
  const user = rt.who === 'patient' ? `Patient/${p.mrn}` : rt.who === 'nurse' ? `Practitioner/${r.pick(w.staff.filter((s) => s.role === 'RN')).user}` : `Device/${rt.client}`;
  const path = rt.method === 'POST' ? `/fhir/R4/${resource}` : rt.search === '' ? `/fhir/R4/${resource}/${p.mrn}` : `/fhir/R4/${resource}?patient=${p.mrn}${rt.search === 'identifier=' ? '' : `&${rt.search}`}`;
  const status = o.status ?? (rt.method === 'POST' ? 201 : 200);
  const ms = o.ms ?? Math.round(w.around(rt.ms, 0.35));
  const fields: Record<string, string | number> = { level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO', logger: 'fhir.audit', event: 'rest', client: rt.client, user, method: rt.method, path, resource, status, ms, req_id: w.uuid() };
  if (rt.method === 'GET' && rt.search !== '' && status === 200) fields.results = r.int(0, 60);
  if (o.outcome !== undefined) fields.outcome = o.outcome;
  return w.row(ts, STREAMS.fhir, w.fhir(ts, fields), undefined, kind);
}

function fhir(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.22)) {
    const rt = byShare(r, ROUTES);
    const u = r.next();
    if (rt.client === 'patient-portal' && rt.search === '' && u < 0.01) rows.push(fhirLine(w, ts, rt, { status: 404, outcome: 'not-found' }));
    else if (rt.who !== 'system' && u < 0.004) rows.push(fhirLine(w, ts, rt, { status: 401, ms: r.int(2, 6), outcome: 'invalid_token' }));
    else if ((rt.resource === 'DiagnosticReport' || rt.resource === 'DocumentReference') && u < 0.006) rows.push(fhirLine(w, ts, rt, { status: 504, ms: 30_000 + r.int(0, 40), outcome: 'timeout' }));
    else rows.push(fhirLine(w, ts, rt));
  }
  for (let ts = w.t0 + r.int(0, 3_599_999); ts < w.end; ts += 3_600_000 + r.int(-2000, 2000)) {
    const job = w.uuid();
    rows.push(w.row(ts, STREAMS.fhir, w.fhir(ts, { level: 'INFO', logger: 'fhir.audit', event: 'rest', client: 'cdw-export', user: 'Device/cdw-export', method: 'GET', path: '/fhir/R4/Group/icu-census/$export?_type=Patient,Encounter,Observation', resource: 'Group', status: 202, ms: r.int(20, 45), req_id: w.uuid(), job })));
    for (let t = ts + 60_000, n = r.int(2, 6); n >= 0; n--, t += 60_000) {
      rows.push(w.row(t, STREAMS.fhir, w.fhir(t, { level: 'INFO', logger: 'fhir.audit', event: 'rest', client: 'cdw-export', user: 'Device/cdw-export', method: 'GET', path: `/fhir/R4/$export-poll-status?_jobId=${job}`, resource: 'Group', status: n === 0 ? 200 : 202, ms: r.int(4, 15), req_id: w.uuid(), job })));
    }
  }
}

/** The clinical streams' normal lines. */
export function clinical(w: W, rows: Row[]): void {
  adt(w, rows);
  lab(w, rows);
  hl7Stats(w, rows);
  fhir(w, rows);
}
