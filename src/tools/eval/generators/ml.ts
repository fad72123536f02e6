// Generator `ml`: an ML/LLM serving and training platform, written for issue 11's held-out log
// streams from the description alone (not from the detectors, never run on them before
// it was committed), to give a never-tuned figure.
//
//   seed ─► world() (ml-lines.ts) ─► 4-6 hours of event time from 21:30-23:00 UTC, the evening
//   │       peak falling into the night trough (1.3× → 0.45×); 12-18 tenants, five GPU nodes of 8
//   │       A100s (two serving, one for batch jobs, two training), three vLLM replicas (two for the
//   │       70B model, one for the 7B), a training run of 16 GPUs; six streams in six formats:
//   │         gateway/models    the model API gateway, logfmt (ml-serving.ts): a line per request
//   │                           with tenant, user, model, tokens and latencies
//   │         inference/vllm    vLLM's own format and uvicorn's access lines (ml-serving.ts);
//   │                           metadata {pod}
//   │         training/trainer  Python logging (ml-training.ts): loss, lr, grad norm, tokens/s
//   │         gpu/nodes         syslog of the GPU nodes (ml-training.ts): a monitor's samples of
//   │                           every GPU, kernel NVRM lines
//   │         scheduler/jobs    the GPU scheduler and autoscaler, JSON (ml-ops.ts)
//   │         storage/minio     MinIO's audit log, JSON (ml-ops.ts)
//   │       benign novelty: fresh request, job, user and object ids, tokens, latencies, loss values,
//   │       GPU readings; benign events: the 70B model's rollout to a new model version (a canary
//   │       replica restarted, weights read from the store, route updated at 10 % then 100 %, the new
//   │       model name in the gateway's lines), a checkpoint saved every 1,000 steps (multipart
//   │       uploads), an evaluation every 500 steps, the autoscaler adding a GPU node (its boot and
//   │       its GPUs' samples), the nightly eval job at 00:30 UTC, Xid 13/31 faults of user code
//   └─► incidents after a 30-minute warm-up (ml-incidents.ts), labelled new_error, rare_error
//       (lone lines) and rare_burst (its one burst), unusual_value, unseen_category, retry_storm,
//       silence, gpu_xid (a GPU fallen off the bus) and nan_loss (the training loss going NaN)
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { injectMlIncidents } from './ml-incidents.js';
import { world, type Row } from './ml-lines.js';
import { scheduler, store } from './ml-ops.js';
import { serving } from './ml-serving.js';
import { gpuNodes, training } from './ml-training.js';

export { WARMUP_MS } from './ml-lines.js';
export const ML_KINDS = ['gpu_xid', 'nan_loss', 'new_error', 'rare_burst', 'rare_error', 'retry_storm', 'silence', 'unseen_category', 'unusual_value'] as const;

/** The platform's six streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generateMl(seed: number, minutes = 240 + ((seed * 53) % 121)): GeneratedSet {
  const w = world(seed, minutes);
  const rows: Row[] = [];
  serving(w, rows);
  training(w, rows);
  gpuNodes(w, rows);
  scheduler(w, rows);
  store(w, rows);
  injectMlIncidents(w, rows);
  return labelledSet(rows.filter((x) => x.ts >= w.t0 && x.ts < w.end));
}

export const mlGenerator: Generator = {
  describe: 'an ML/LLM serving and training platform: a model API gateway (logfmt), vLLM replicas, a Python training loop, GPU nodes\' syslog (monitor samples, kernel Xid lines), a GPU job scheduler (JSON) and MinIO\'s audit log over 4-6 hours, a model rollout, checkpoints, an added GPU node, the nightly eval job; incidents: new_error, rare_error, rare_burst, unusual_value, unseen_category, retry_storm, silence, gpu_xid, nan_loss',
  generate: (seed) => generateMl(seed),
};
