// `driftwatch eval generate --kind K --seed N --out DIR`: labelled event sets of our own, in the
// style of the anomalies the detectors must find (with benign novelty on normal lines: fresh ids,
// users, amounts), to tune on some seeds and report on others. Each generator is pure: the same
// seed gives the same files. Output: DIR/events.ndjson (our ingest shape) and DIR/labels.json
// ({"anomalous": [line indices], "kinds": {"<index>": "<kind>"}}), read by `eval events`.

import { llmGenerator } from './llm.js';

/** One event in our ingest shape. */
export interface GeneratedEvent {
  timestamp: string;
  stream: string;
  stream_type: 'logs' | 'metrics' | 'llm';
  data: string | number;
  metadata?: Record<string, string | number | boolean>;
}

export interface GeneratedSet {
  events: GeneratedEvent[];
  labels: { anomalous: number[]; kinds: Record<string, string> };
}

export interface Generator {
  describe: string;
  generate: (seed: number) => GeneratedSet;
}

import { batchGenerator } from './batch.js';
import { ciGenerator } from './ci.js';
import { cloudGenerator } from './cloud.js';
import { dbGenerator } from './db.js';
import { edgeGenerator } from './edge.js';
import { healthGenerator } from './health.js';
import { hostGenerator } from './host.js';
import { iotGenerator } from './iot.js';
import { k8sGenerator } from './k8s.js';
import { logsGenerator } from './logs.js';
import { mixedGenerator } from './mixed.js';
import { mlGenerator } from './ml.js';
import { llmAgentGenerator } from './llm-agent.js';
import { llmCodeGenerator } from './llm-code.js';
import { llmDevGenerator } from './llm-dev.js';
import { llmShopGenerator } from './llm-shop.js';
import { payGenerator } from './pay.js';
import { queueGenerator } from './queue.js';
import { svcGenerator } from './svc.js';
import { voipGenerator } from './voip.js';

/** Registered generators by kind (each in its own module beside this one). */
export const GENERATORS: Record<string, Generator> = {
  batch: batchGenerator,
  ci: ciGenerator,
  cloud: cloudGenerator,
  db: dbGenerator,
  edge: edgeGenerator,
  health: healthGenerator,
  host: hostGenerator,
  iot: iotGenerator,
  k8s: k8sGenerator,
  llm: llmGenerator,
  'llm-agent': llmAgentGenerator,
  'llm-code': llmCodeGenerator,
  'llm-dev': llmDevGenerator,
  'llm-shop': llmShopGenerator,
  logs: logsGenerator,
  mixed: mixedGenerator,
  ml: mlGenerator,
  pay: payGenerator,
  queue: queueGenerator,
  svc: svcGenerator,
  voip: voipGenerator,
};
