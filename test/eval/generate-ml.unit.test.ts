// The ml generator: pure (same seed, same bytes), every kind labelled, labels consistent with the
// lines they point at (never at a benign line: the model rollout, a checkpoint, the added GPU
// node, the nightly eval job, a user-code Xid), sane incident counts, six formats, benign novelty.
import { describe, expect, it } from 'vitest';
import { generateMl, ML_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/ml.js';
import { NEW_KEYS, NEW_MODELS, NEW_QUEUES, NEW_TENANTS, ROLLED_OUT, STREAMS } from '../../src/tools/eval/generators/ml-lines.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, expectSilenceAt, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up, a silence of up to 25 and every other kind
/** A line with its ids, numbers, times and hex masked: its template, roughly. */
const shape = (l: string): string => l.replace(/\b(req|u|job|run)[_-][0-9a-f]+/g, 'I').replace(/chatcmpl-[0-9a-f]+/g, 'C').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U')
  .replace(/"requestID":"[0-9A-F]+"/g, 'R').replace(/vllm-[a-z0-9]+-[a-z]+-[a-z]+/g, 'P').replace(/tenant=\S+/g, 'T').replace(/\d+/g, '0');
const BENIGN = /route updated|rollout (started|promoted|complete)|vLLM API server version|Loading model weights|Uvicorn running|Shutting down|Saving checkpoint|Checkpoint step_\d+ saved|Removed old checkpoint|Running evaluation|eval \| step|scale up|node (registered|ready)|NVRM: loading|started: 8 GPUs|fabricmanager|cron job triggered|"queue":"nightly-eval"|eval-results\/nightly|Xid \(PCI:[\d:a-f]+\): (13|31),|"models","object":"llama-3\.3/;
const UNSEEN = (l: string): boolean => NEW_MODELS.some((m) => l.includes(` model=${m} `)) || NEW_TENANTS.some((t) => l.includes(` tenant=${t} `))
  || NEW_QUEUES.some((q) => l.includes(`"queue":"${q}"`)) || NEW_KEYS.some((k) => l.includes(`"accessKey":"${k}"`));
const ms = (l: string): number => num(l, /"timeToResponse":"([\d.]+)ms"/);

describe('eval generate --kind ml', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('ml', generateMl, SHORT, /ML\/LLM serving and training platform/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateMl(seed, SHORT);
      expectLabelledLogSet(set, ML_KINDS, WARMUP_MS);
      const n = incidents(set);
      expect(n.new_error).toBe(4);
      expect(n.unusual_value).toBe(5);
      expect(n.unseen_category).toBe(3);
      expect(n.silence).toBe(1);
      expect(n.retry_storm).toBeGreaterThanOrEqual(2);
      expect(idxOf(set, 'retry_storm').length).toBeGreaterThanOrEqual(2 * 40);
      expect(n.rare_error).toBeGreaterThanOrEqual(7);
      expect(idxOf(set, 'rare_error').length).toBe(9);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(70);
      const last = Math.max(...idxOf(set, 'rare_burst'));
      expect(idxOf(set, 'rare_error').filter((i) => i > last).length).toBeGreaterThanOrEqual(6);
      expect(idxOf(set, 'gpu_xid').length).toBe(8);
      expect(idxOf(set, 'nan_loss').length).toBeGreaterThanOrEqual(8);
    }
  });

  it('the labelled lines hold what their kind says, never a benign event, and normal lines never do', () => {
    for (const seed of [5, 6, 7, 8]) {
      const set = generateMl(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      for (const l of ofKind(set, 'new_error').filter((x) => !/^(Traceback|\s+File "|ERROR .*\] (Traceback|\s+File "))/.test(x))) expect(normalShapes.has(shape(l)), l).toBe(false);
      const rare = new Set([...ofKind(set, 'rare_error'), ...ofKind(set, 'rare_burst')].map(shape));
      expect(rare.size).toBe(1);
      for (const s of rare) expect(normalShapes.has(s)).toBe(false);
      for (const l of set.labels.anomalous.map((i) => String(set.events[i].data))) expect(BENIGN.test(l), l).toBe(false);
      for (const l of ofKind(set, 'unseen_category')) expect(UNSEEN(l), l).toBe(true);
      expect(normal.filter(UNSEEN)).toEqual([]);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/msg="retrying upstream"|"statusCode":503,.*"error":"Resource requested is unwritable|"msg":"job unschedulable"/);
      for (const l of ofKind(set, 'gpu_xid')) expect(l).toMatch(/Xid \(PCI:[\d:a-f]+\): 79,|fallen off the bus|GPU serial number|crash dump|Unable to determine the device handle|"condition":"GPUUnhealthy"/);
      const nan = ofKind(set, 'nan_loss');
      expect(nan.filter((l) => l.includes('| loss nan | ')).length).toBeGreaterThanOrEqual(4);
      expect(nan.every((l) => /\| loss (nan|[4-9]\.\d+|10\.0+) \|.*grad_norm (nan|\d{2,}\.\d+)|non-finite/.test(l)), nan.join('\n')).toBe(true);
      expect(normal.some((l) => /\bnan\b/.test(l))).toBe(false);
      for (const l of ofKind(set, 'unusual_value')) {
        const odd = l.includes('route=/v1/embeddings') ? num(l, /latency_ms=(\d+)/) > 500
          : l.includes('gpu-monitor[') ? num(l, /temp=(\d+)C/) >= 90
            : l.includes('step_time') ? num(l, /step_time ([\d.]+)s/) > 10
              : l.includes('Pending:') ? num(l, /Pending: (\d+) reqs/) >= 150
                : ms(l) > 6000;
        expect(odd, l).toBe(true);
      }
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const normal = normalOf(generateMl(8));
    const embeds = normal.filter((l) => l.includes('route=/v1/embeddings') && l.includes('status=200'));
    expect(embeds.length).toBeGreaterThan(1000);
    expect(Math.max(...embeds.map((l) => num(l, /latency_ms=(\d+)/)))).toBeLessThan(500);
    expect(normal.filter((l) => l.includes('route=/v1/chat/completions') && num(l, /latency_ms=(\d+)/) > 2000).length).toBeGreaterThan(1000);
    expect(Math.max(...normal.filter((l) => l.includes('gpu-monitor[') && l.includes('temp=')).map((l) => num(l, /temp=(\d+)C/)))).toBeLessThan(80);
    expect(Math.max(...normal.filter((l) => l.includes('step_time')).map((l) => num(l, /step_time ([\d.]+)s/)))).toBeLessThan(2);
    expect(Math.max(...normal.filter((l) => l.includes('Pending:')).map((l) => num(l, /Pending: (\d+) reqs/)))).toBeLessThanOrEqual(3);
    expect(Math.max(...normal.filter((l) => l.includes('"object":"pretrain-mix-v4/')).map(ms))).toBeLessThan(6000);
    expect(normal.filter((l) => l.includes('"bucket":"ckpt-train"') && ms(l) > 100).length).toBeGreaterThan(16);
    const warnings = normal.filter((l) => /level=warn|^WARNING |"level":"warn"| - WARNING - |"statusCode":503/.test(l)).length;
    expect(warnings / normal.length).toBeGreaterThan(0.003);
    expect(warnings / normal.length).toBeLessThan(0.05);
  });

  it('benign events: the rollout announced before its model is used, checkpoints every 1,000 steps, an added node, the nightly eval job, user-code Xids', () => {
    const set = generateMl(9);
    const text = set.events.map((e) => String(e.data));
    const at = (re: RegExp): number[] => text.flatMap((l, i) => (re.test(l) ? [Date.parse(set.events[i].timestamp)] : []));
    const t0 = Date.parse(set.events[0].timestamp);
    const [canary] = at(/msg="route updated" .*weight=10 /);
    expect(canary - t0).toBeGreaterThan(WARMUP_MS);
    expect(Math.min(...at(new RegExp(`msg="request completed" .* model=${ROLLED_OUT} `)))).toBeGreaterThan(canary);
    expect(at(new RegExp(`model=${ROLLED_OUT} `)).length).toBeGreaterThan(500);
    expect(at(/Loading model weights took/).length).toBe(2);
    const saved = text.filter((l) => l.includes('Saving checkpoint')).map((l) => num(l, /step_(\d+)/));
    expect(saved.length).toBeGreaterThanOrEqual(8);
    expect(saved.every((s, i) => s % 1000 === 0 && (i === 0 || s === saved[i - 1] + 1000))).toBe(true);
    expect(text.filter((l) => l.includes('"NewMultipartUpload"')).length).toBe(16 * saved.length);
    const [ready] = at(/"msg":"node ready","node":"gpu-a100-06"/);
    expect(at(/gpu-a100-06 gpu-monitor\[\d+\]: gpu=/).every((t) => t >= ready)).toBe(true);
    expect(at(/gpu-a100-06 gpu-monitor\[\d+\]: gpu=/).length).toBeGreaterThan(50);
    const [cron] = at(/"cron job triggered"/);
    expect(new Date(cron).getUTCHours()).toBe(0);
    expect(new Date(cron).getUTCMinutes()).toBe(30);
    expect(at(/eval-results\/nightly/).length).toBe(3);
    expect(at(/Xid \(PCI:[\d:a-f]+\): (13|31),/).length).toBeGreaterThan(0);
    for (const i of set.labels.anomalous) expect(BENIGN.test(text[i]), text[i]).toBe(false);
  });

  it('silence: the labelled line is its stream\'s first after the only long gap', () => {
    for (const seed of [2, 3]) {
      const set = generateMl(seed, SHORT);
      const [i] = idxOf(set, 'silence');
      expect(set.events[i].stream).toBe(seed % 2 === 0 ? STREAMS.vllm : STREAMS.minio);
      expectSilenceAt(set, i);
    }
  });

  it('a full run: 25-55k lines over 4-6 hours in six formats with fresh ids, tokens and readings', () => {
    const full = generateMl(10);
    const text = expectFullLogRun(full, [25_000, 55_000], [3.9, 6.1], STREAMS);
    expect(text(STREAMS.gateway).every((l) => /^time=\S+Z level=(info|warn) msg="[^"]+"( [\w]+=("[^"]*"|\S+))+$/.test(l))).toBe(true);
    expect(text(STREAMS.vllm).every((l) => /^(INFO|WARNING) \d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+:\d+\] /.test(l) || /^INFO: {5}\S/.test(l))).toBe(true);
    expect(text(STREAMS.trainer).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - train(\.\w+)? - (INFO|WARNING) - /.test(l))).toBe(true);
    expect(text(STREAMS.gpu).every((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d gpu-a100-\d\d [\w-]+(\[\d+\])?: /.test(l))).toBe(true);
    expect(text(STREAMS.jobs).every((l) => typeof JSON.parse(l).logger === 'string')).toBe(true);
    expect(text(STREAMS.minio).every((l) => typeof JSON.parse(l).api.name === 'string')).toBe(true);
    const ids = text(STREAMS.gateway).map((l) => /request_id=(\S+)/.exec(l)?.[1]).filter((x) => x !== undefined);
    expect(ids.length).toBeGreaterThan(5000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(text(STREAMS.gateway).map((l) => /completion_tokens=(\d+)/.exec(l)?.[1])).size).toBeGreaterThan(500);
    const losses = text(STREAMS.trainer).map((l) => /\| loss ([\d.]+) \|/.exec(l)?.[1]).filter((x) => x !== undefined);
    expect(new Set(losses).size).toBeGreaterThan(losses.length * 0.5);
  });
});
