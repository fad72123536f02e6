// Generator `health`: a hospital's integration platform, written for issue 11's held-out log
// streams from the description and from what such systems log, WITHOUT reading the
// detectors and committed before any detector ran on it, to give a never-tuned figure.
//
//   seed ─► world() (health-lines.ts) ─► 4-6 hours of event time from 15:00-16:30 UTC, a
//   │       hospital's afternoon into its night (the shift change at 19:00 UTC); 10 wards and
//   │       their census, day and night staff (nurses, physicians, clerks, the pharmacy,
//   │       radiology and the lab), 8 lab analyzers, 8 imaging devices; seven streams in seven
//   │       formats:
//   │         hl7/engine       an HL7 v2 interface engine (plain text with segment summaries):
//   │                          ADT^A01..A08, ORM^O01, ORU^R01 received, routed, acknowledged
//   │                          (MSA|AA) with the queue depth; channel statistics (health-clinical.ts)
//   │         lab/instruments  the analyzers' results, CSV: analyzer, specimen, test, value,
//   │                          units, flag, status; QC runs (health-clinical.ts)
//   │         fhir/server      the FHIR server's access/audit events, JSON: clients, resource
//   │                          types, status, time in ms (health-clinical.ts)
//   │         pacs/dicom       the PACS node: associations, C-STORE summaries (modality, images,
//   │                          size), C-FIND and C-MOVE from reading workstations (health-ops.ts)
//   │         ehr/audit        the EHR's audit trail, logfmt: user, role, workstation, action,
//   │                          patient, department (health-ops.ts)
//   │         badge/access     door controllers (syslog, OnGuard-like) (health-ops.ts)
//   │         backup/etl       the hourly ETL, the PACS archive's replication, the hourly log
//   │                          backup and the nightly database backup (health-ops.ts)
//   │       benign novelty: fresh patient ids, control ids, accession and specimen numbers,
//   │       study UIDs, request ids; the shift change (night staff logging in for the first
//   │       time, day staff leaving, volumes falling); a new ward (5E) opened (its location table
//   │       loaded, its doors configured, its staff and patients from then on); a new analyzer's
//   │       first QC then its results; a portable ultrasound registered then sending studies; the
//   │       hourly ETL and bulk export, the nightly backup from 20:00 UTC; occasional ACK
//   │       timeouts resent, a lone AE, 404s, expired tokens, heavy searches timing out,
//   │       unknown AE titles rejected, peers' aborts, doors tried or held open, deadlocks retried
//   └─► incidents after a 30-minute warm-up (health-incidents.ts), labelled rare_error,
//       rare_burst, unusual_value, unseen_category, record_snooping and interface_stall
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { clinical } from './health-clinical.js';
import { injectHealthIncidents, planStall } from './health-incidents.js';
import { world, type Row } from './health-lines.js';
import { operations } from './health-ops.js';
import { labelledSet } from './labelled.js';

export { WARMUP_MS } from './health-lines.js';
export { HEALTH_KINDS } from './health-incidents.js';

/** The platform's seven streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generateHealth(seed: number, minutes = 240 + ((seed * 59) % 121)): GeneratedSet {
  const w = world(seed, minutes);
  planStall(w);
  const rows: Row[] = [];
  clinical(w, rows);
  operations(w, rows);
  injectHealthIncidents(w, rows);
  return labelledSet(rows.filter((x) => x.ts >= w.t0 && x.ts < w.end));
}

export const healthGenerator: Generator = {
  describe: 'a hospital\'s integration platform: an HL7 v2 interface engine, lab analyzers (CSV), a FHIR server (JSON), a PACS/DICOM node, the EHR\'s audit trail (logfmt), badge readers and the backup/ETL jobs over 4-6 hours across the shift change, a new ward opened, a new analyzer and ultrasound cart, the nightly backup; incidents: rare_error, rare_burst, unusual_value, unseen_category, record_snooping, interface_stall',
  generate: (seed) => generateHealth(seed),
};
