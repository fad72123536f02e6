// Generator `voip`: a telephony / VoIP platform, written for issue 11's held-out log streams from
// the description and from what such systems log (not from the detectors, never run on
// them before it was committed), to give a never-tuned figure.
//
//   seed ─► world() (voip-lines.ts) ─► 4-6 hours of event time from 20:30-22:00 UTC, a UK
//   │       platform's evening falling into the night trough (0.95× → 0.15×); 90-140 extensions on
//   │       6-10 customer sites or softphones at home, two carrier trunks (UK, international) and
//   │       a third added during the run; six streams in six formats:
//   │         sip/kamailio      the SIP edge proxy (Kamailio via syslog, the routing script's xlog
//   │                           lines: INVITE with Call-ID, from, to and source, R-URI after
//   │                           routing, replies, BYE, REGISTER; voip-calls.ts, voip-ops.ts)
//   │         pbx/asterisk      the PBX (Asterisk's full log: dialplan steps, Dial's outcome,
//   │                           chan_sip registrations and qualify)
//   │         media/rtpengine   the media relay's final packet stats per leg (codec, loss %,
//   │                           jitter ms, MOS) and its call count
//   │         sms/gateway       the SMS gateway's SMPP client in JSON (message id, sender,
//   │                           country, segments, delivery reports)
//   │         billing/cdr       rated CDR rows, CSV (start, answer, caller, callee, duration,
//   │                           billsec, disposition, cost, currency, trunk, uniqueid)
//   │         api/provisioning  the provisioning API's nginx access log
//   │       benign novelty: fresh Call-IDs, numbers, channels, message ids, request ids, durations,
//   │       costs, media readings; benign events: extensions created and registering, a trunk added
//   │       (the API call, Asterisk's SIP reload, the dispatcher reload) before it carries calls in
//   │       a new currency, numbers ported in (then called), a country enabled for SMS by a routing
//   │       reload before its first message, the nightly CDR export at 00:10 UTC (a burst of paged
//   │       API reads), stale phone passwords, scanners' lone probes, phones' qualify flapping
//   └─► incidents after a 30-minute warm-up (voip-incidents.ts), labelled rare_error, rare_burst,
//       unusual_value, unseen_category, toll_fraud and trunk_down
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { planCalls } from './voip-calls.js';
import { injectVoipIncidents } from './voip-incidents.js';
import { world, type Row } from './voip-lines.js';
import { benignEvents, provisioning, registrations, smsGateway } from './voip-ops.js';

export { WARMUP_MS } from './voip-lines.js';
export { VOIP_KINDS } from './voip-incidents.js';

/** The platform's six streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generateVoip(seed: number, minutes = 240 + ((seed * 47) % 121)): GeneratedSet {
  const w = world(seed, minutes);
  const calls = planCalls(w);
  const rows: Row[] = [];
  registrations(w, rows);
  smsGateway(w, rows);
  provisioning(w, rows);
  benignEvents(w, rows);
  injectVoipIncidents(w, calls, rows);
  return labelledSet(rows.filter((x) => x.ts >= w.t0 && x.ts < w.end));
}

export const voipGenerator: Generator = {
  describe: 'a telephony / VoIP platform: a Kamailio SIP proxy (syslog), an Asterisk PBX (full log), rtpengine media stats, an SMS gateway (JSON), rated CDRs (CSV) and a provisioning API (nginx) over 4-6 hours, extensions created, a trunk added, numbers ported, a country enabled for SMS, the nightly CDR export; incidents: rare_error, rare_burst, unusual_value, unseen_category, toll_fraud, trunk_down',
  generate: (seed) => generateVoip(seed),
};
