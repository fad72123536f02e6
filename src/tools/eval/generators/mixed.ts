// Generator `mixed`: log streams whose lines are partly prose (issue 11: "log messages that are
// mostly prose"), to measure routing such lines to the free-text detector.
//
//   seed ─► generateLogs(seed): the four templated services with their incidents (kinds as there)
//        ─► generateLlm(seed): the 'support-web' prompts in order (normal ones and its planted
//           anomalies: kinds prefixed prose_), each logged by the api service as one line
//           `INFO api customer feedback: <text>`, spread evenly over the logs' span of event time
//        ─► merged by time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { generateLlm } from './llm.js';
import { generateLogs } from './logs.js';

export function generateMixed(seed: number): GeneratedSet {
  const logs = generateLogs(seed);
  const llm = generateLlm(seed);
  const rows: { ts: number; ev: GeneratedEvent; kind?: string }[] = logs.events.map((ev, i) => ({ ts: Date.parse(ev.timestamp), ev, kind: logs.labels.kinds[String(i)] }));
  const first = rows[0].ts;
  const span = rows[rows.length - 1].ts - first;
  const prose = llm.events.map((ev, i) => ({ ev, kind: llm.labels.kinds[String(i)] })).filter((x) => x.ev.stream === 'support-web');
  prose.forEach((p, j) => {
    const ts = first + Math.round(((j + 0.5) / prose.length) * span);
    rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: 'api', stream_type: 'logs', data: `INFO api customer feedback: ${String(p.ev.data)}` }, ...(p.kind === undefined ? {} : { kind: `prose_${p.kind}` }) });
  });
  return labelledSet(rows);
}

export const mixedGenerator: Generator = {
  describe: 'the logs generator\'s four services plus customer feedback in prose logged by the api service (the llm generator\'s support-web prompts, with their anomalies as prose_<kind>)',
  generate: generateMixed,
};
