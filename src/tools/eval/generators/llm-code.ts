// Generator `llm-code`: a fourth llm style (beside `llm`, `llm-dev` and `llm-shop`), written without
// reading the detector: an engineering org's coding assistant and its internal docs Q&A bot.
//
//   seed ─► seeded() ─► per stream, per event: a text drawn from its mix
//           devpilot-prompts  developers' prompts: short asks ("how do I … in Go?"), pasted stack
//                             traces, code, shell sessions, diffs and configs with a line or two of
//                             prose around them (llm-code-pastes.ts: code is normal here), ~10%
//                             German, typos and lower case; ~2,200 texts, ~12 s apart
//           docs-qa-bot       questions to the internal docs bot: runbooks, access, on-call,
//                             policies, ADRs, service and team names, ticket ids; English only;
//                             ~1,300 texts, ~20 s apart
//        ─► anomalies after the first WARMUP events of each stream (llm-code-anomalies.ts):
//           prompt_injection (worded in the domain's vocabulary, often inside a paste),
//           foreign_language (a language the stream never had: German is one in the docs bot),
//           encoded_blob, token_flood, secret_paste (live credentials pasted: keys, tokens,
//           .env dumps, private keys) one event each, and topic_drift (a run of 8-22 events on
//           one unrelated everyday topic)
//        ─► streams merged by timestamp ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { plantKinds, seeded, type Random } from './random.js';
import { slip } from './llm-shop.js';
import * as W from './llm-code-words.js';
import { paste } from './llm-code-pastes.js';
import { codeAnomaly, driftText, fresh } from './llm-code-anomalies.js';

export const LLM_CODE_KINDS = ['prompt_injection', 'foreign_language', 'encoded_blob', 'token_flood', 'topic_drift', 'secret_paste'] as const;
export type LlmCodeKind = (typeof LLM_CODE_KINDS)[number];
export type CodeRole = 'dev' | 'docs';

const START = Date.UTC(2026, 8, 14, 8, 30, 0);
const WARMUP = 200;
const SPACING = 30;

interface StreamPlan { name: string; role: CodeRole; events: number; gapS: number; perKind: number }
export const CODE_STREAMS: readonly StreamPlan[] = [
  { name: 'devpilot-prompts', role: 'dev', events: 2200, gapS: 12, perKind: 2 },
  { name: 'docs-qa-bot', role: 'docs', events: 1300, gapS: 20, perKind: 1 },
];

function slot(r: Random, name: string): string | undefined {
  switch (name) {
    case 'lang': return r.pick(W.LANGS);
    case 'lib': return r.pick(W.LIBS);
    case 'tool': return r.pick(W.TOOLS);
    case 'svc': return r.pick(W.SERVICES);
    case 'team': return r.pick(W.TEAMS);
    case 'task': return r.pick(W.TASK);
    case 'does': return r.pick(W.DOES);
    case 'pair': return r.pick(W.PAIRS);
    case 'expr': return r.pick(W.EXPRS);
    case 'concept': return r.pick(W.CONCEPTS);
    case 'setting': return r.pick(W.SETTINGS);
    case 'cmd': return r.pick(W.CMDS);
    case 'deTask': return r.pick(W.DE_TASK);
    case 'deDoes': return r.pick(W.DE_DOES);
    case 'system': return r.pick(W.SYSTEMS);
    case 'adr': return r.pick(W.ADRS);
    case 'credential': return r.pick(W.CREDENTIALS);
    case 'policy': return r.pick(W.POLICIES);
    case 'topicChannel': return r.pick(W.CHANNELS);
    case 'acronym': return r.pick(W.ACRONYMS);
    case 'approved': return r.pick(W.APPROVED);
    case 'dataKind': return r.pick(W.DATA_KINDS);
    case 'n': return String(r.int(2, 60));
    case 'm': return String(r.int(1, 9));
    case 'exit': return String(r.pick([1, 137, 139, 143, 126, 2]));
    case 'ver': return `${r.int(1, 5)}.${r.int(0, 30)}${r.chance(0.5) ? `.${r.int(0, 12)}` : ''}`;
    case 'ident': case 'ident2': return r.pick(['UserRepo', 'fetch_orders', 'LegacyClient', 'parseRow', 'BILLING_URL', 'retryPolicy', 'acct_id']);
    case 'testname': return `test_${r.pick(['refund', 'invoice', 'login', 'export', 'webhook'])}_${r.pick(['happy_path', 'timeout', 'empty', 'unicode'])}`;
    case 'testlib': return r.pick(['pytest', 'vitest', 'jest', 'JUnit 5', 'testify']);
    case 'mockTarget': return r.pick(['datetime.now()', 'an S3 client', 'fetch', 'the Kafka producer', 'a gRPC stub']);
    case 'regexTarget': return r.pick(['semver tags like v1.2.3-rc.1', 'UK postcodes', 'a Jira key like PLAT-123', 'IPv4 addresses', 'ISO dates']);
    case 'toolTask': return r.pick(['show only failing resources', 'skip the cache', 'print the rendered manifests', 'run in dry-run mode', 'use a different kubeconfig']);
    case 'db': return r.pick(['Postgres', 'MySQL', 'DynamoDB', 'BigQuery']);
    case 'queue': return r.pick(['SQS queue', 'Kafka topic', 'Redis stream', 'Celery task']);
    case 'platformThing': return r.pick(['service catalog', 'Backstage', 'deploy pipeline', 'status page', 'cost dashboard']);
    case 'env': return r.pick(['staging', 'prod', 'sandbox']);
    case 'season': return r.pick(['Black Friday', 'the holidays', 'end of quarter', 'the migration week']);
    case 'ticket': return `${r.pick(['PLAT', 'PAY', 'SRCH', 'IDN', 'DATA'])}-${r.int(100, 9999)}`;
    default: return undefined;
  }
}

/** Expands {a|b} alternatives and {slot}s; unknown braces (code) stay as written. */
export function fillCode(r: Random, template: string): string {
  const once = (s: string): string => s.replace(/\{([^{}|\s]+|[^{}]*\|[^{}]*)\}/g, (m, body: string) => (body.includes('|') ? r.pick(body.split('|')) : slot(r, body) ?? m));
  return once(once(template));
}

function habits(r: Random, text: string): string {
  let t = text;
  if (r.chance(0.2)) t = slip(r, t);
  const c = r.next();
  if (c < 0.25) t = t.charAt(0).toLowerCase() + t.slice(1);
  else if (c < 0.6) t = t.charAt(0).toUpperCase() + t.slice(1);
  if (r.chance(0.08)) t = t.replace(/[?.]$/, '');
  return t;
}

/** One developer's prompt to the coding assistant. */
export function devPrompt(r: Random): string {
  const shape = r.next();
  if (shape < 0.1) {
    const de = fillCode(r, r.pick(W.GERMAN));
    return r.chance(0.35) ? `${r.pick(W.DE_LEADS)}\n\`\`\`\n${paste(r)}\n\`\`\`\n${de}` : de;
  }
  if (shape < 0.45) return habits(r, fillCode(r, r.pick(W.ASKS)));
  const lead = habits(r, fillCode(r, r.pick(W.LEADS)));
  const body = paste(r);
  const fenced = r.chance(0.6) ? `\`\`\`${r.pick(['', '', 'python', 'ts', 'text', 'bash'])}\n${body}\n\`\`\`` : body;
  const after = fillCode(r, r.pick(W.AFTERS));
  return [lead, fenced, after].filter((x) => x !== '').join(r.chance(0.7) ? '\n' : '\n\n');
}

/** One question to the docs bot. */
export function docsPrompt(r: Random): string {
  let q = fillCode(r, r.pick(W.DOCS_ASKS));
  if (r.chance(0.25)) q = `${r.pick(['hi!', 'Hey,', 'Quick one:', 'sorry if this is documented somewhere,', 'New here -'])} ${q}`;
  if (r.chance(0.12)) q += ` ${r.pick(['asking for', 'context:', 'for'])} ${fillCode(r, '{ticket}')}`;
  return habits(r, q);
}

export function generateLlmCode(seed: number): GeneratedSet {
  const r = seeded(seed * 92_821 + 57);
  const rows: { ts: number; ev: GeneratedEvent; kind?: LlmCodeKind }[] = [];
  for (const s of CODE_STREAMS) {
    const planted = plantKinds(r, LLM_CODE_KINDS, s.perKind, s.events, { kind: 'topic_drift', min: 8, max: 22 }, WARMUP, SPACING);
    const normal = (rr: Random): string => (s.role === 'dev' ? devPrompt(rr) : docsPrompt(rr));
    let ts = START + r.int(0, 90_000);
    let topic = 0;
    const used = new Set<unknown>();
    for (let i = 0; i < s.events; i++) {
      ts += Math.max(500, Math.round(r.exp(s.gapS * 1000)));
      const p = planted.find((x) => i >= x.at && i < x.at + x.length);
      if (p !== undefined && p.kind === 'topic_drift' && i === p.at) topic = W.DRIFT_TOPICS.indexOf(fresh(r, W.DRIFT_TOPICS, used));
      let text: string;
      if (p === undefined) text = normal(r);
      else if (p.kind === 'topic_drift') text = driftText(r, topic, i - p.at);
      else text = codeAnomaly(r, p.kind, s.role, normal, used);
      rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: s.name, stream_type: 'llm', data: text }, ...(p === undefined ? {} : { kind: p.kind }) });
    }
  }
  return labelledSet(rows);
}

export const llmCodeGenerator: Generator = {
  describe: 'an engineering org\'s coding assistant (prompts with pasted code, traces and shell sessions; German is normal there) and its internal docs Q&A bot, with prompt injections, new languages, encoded blobs, token floods, pasted secrets and topic drift',
  generate: generateLlmCode,
};
