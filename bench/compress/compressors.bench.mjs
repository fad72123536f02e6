// bench/compress: which compressor should cost a log line given its stream's recent past?
//
//   Loghub lines ─► normalise (the detector's) ─► exact repeat of a baseline line? skip (costs nothing in the detector)
//                 ─► cost = |compress(line, dictionary = last distinct lines, ≤16 KiB)| in bits  ─► line joins the baseline
//
// For each codec, in one process on the same lines: new lines costed per second (the dictionary
// changes with every new line, as in the detector, so a codec's dictionary set-up is paid each
// time), and how well the cost separates BGL_2k's alert lines from its normal ones (AUC of the
// cost over the lines actually costed, after a 100-line warm-up). Prints one line per codec.
//
// Run: npm --prefix bench/compress ci && npx tsc -p tsconfig.json && node bench/compress/compressors.bench.mjs
// Needs ../shared/datasets/logs beside the repo (skips with a message where it is absent).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib';
import { Compressor } from 'zstd-napi';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { normalise } = await import(join(root, 'dist', 'workers', 'detectors', 'normalise.js'));
const logs = join(root, '..', 'shared', 'datasets', 'logs');
if (!existsSync(logs)) {
  console.log(`compressors: skipped (${logs} absent)`);
  process.exit(0);
}

const BASELINE_BYTES = 16384;
const RUNS = 3;

/** Lines of BGL_2k with labels (first token `-` = normal), and the twelve unlabelled logs. */
function bgl() {
  const texts = [];
  const alert = [];
  for (const raw of readFileSync(join(logs, 'BGL', 'BGL_2k.log'), 'utf8').split('\n')) {
    if (raw === '') continue;
    const sp = raw.indexOf(' ');
    alert.push(raw.slice(0, sp) !== '-');
    texts.push(raw.slice(sp + 1));
  }
  return { texts, alert };
}
const unlabeled = readdirSync(join(logs, 'unlabeled')).filter((f) => f.endsWith('.log')).sort()
  .map((f) => readFileSync(join(logs, 'unlabeled', f), 'utf8').split('\n').filter((l) => l !== ''));

// Codecs: cost(line, dict) in bits. zstd takes the dictionary as raw content (no trained dictionary).
const zstdCodec = (level) => {
  const c = new Compressor();
  c.setParameters({ compressionLevel: level });
  return (buf, dict) => {
    c.loadDictionary(dict);
    return c.compress(buf).length * 8;
  };
};
const codecs = {
  deflate_raw_l6_dict: (buf, dict) => deflateRawSync(buf, { dictionary: dict, level: 6 }).length * 8,
  deflate_raw_l1_dict: (buf, dict) => deflateRawSync(buf, { dictionary: dict, level: 1 }).length * 8,
  zstd_l1_dict: zstdCodec(1),
  zstd_l3_dict: zstdCodec(3),
  zstd_l9_dict: zstdCodec(9),
  // Node 20's brotli takes no dictionary: the baseline goes in as a prefix (two compressions a line).
  brotli_q4_prefix: (buf, dict) => {
    const o = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
    return (brotliCompressSync(Buffer.concat([dict, buf]), o).length - brotliCompressSync(dict, o).length) * 8;
  },
};

/** Runs the detector's baseline over one log with a codec; returns the costs of the lines it costed and their indices. */
function costLog(lines, cost) {
  const base = new Map();
  let bytes = 0;
  let dict = null;
  const costs = [];
  const idx = [];
  for (let i = 0; i < lines.length; i++) {
    const line = normalise(lines[i]).slice(0, 2048);
    if (base.has(line)) {
      base.delete(line);
      base.set(line, 1);
      dict = null;
      continue;
    }
    const buf = Buffer.from(line + '\n');
    if (base.size > 0) {
      if (dict === null) dict = Buffer.from([...base.keys()].join('\n') + '\n');
      costs.push(cost(buf, dict));
    } else costs.push(buf.length * 8);
    idx.push(i);
    const b = Buffer.byteLength(line) + 1;
    base.set(line, b);
    bytes += b;
    dict = null;
    while (bytes > BASELINE_BYTES && base.size > 1) {
      const oldest = base.keys().next().value;
      bytes -= base.get(oldest);
      base.delete(oldest);
    }
  }
  return { costs, idx };
}

/** Mann-Whitney AUC: P(cost of an alert line > cost of a normal line), ties half. */
function auc(pos, neg) {
  const all = [...pos.map((v) => [v, 1]), ...neg.map((v) => [v, 0])].sort((a, b) => a[0] - b[0]);
  let rank = 0;
  let sumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const mid = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k][1] === 1) sumPos += mid;
    rank = j;
    i = j;
  }
  void rank;
  return (sumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

const { texts, alert } = bgl();
for (const [name, cost] of Object.entries(codecs)) {
  // Throughput: all twelve unlabelled logs and BGL, RUNS times; median.
  const rates = [];
  let costed = 0;
  for (let r = 0; r < RUNS; r++) {
    costed = 0;
    const t0 = performance.now();
    for (const lines of [...unlabeled, texts]) costed += costLog(lines, cost).costs.length;
    rates.push(costed / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const med = rates[1];
  const spread = ((rates[2] - rates[0]) / 2 / med) * 100;
  const { costs, idx } = costLog(texts, cost);
  const pos = [];
  const neg = [];
  for (let k = 0; k < idx.length; k++) if (idx[k] >= 100) (alert[idx[k]] ? pos : neg).push(costs[k]);
  console.log(`${name}: ${Math.round(med)} new lines/s ±${spread.toFixed(1)}% (${costed} costed per run); BGL_2k AUC ${auc(pos, neg).toFixed(3)} (${pos.length} alert / ${neg.length} normal lines costed)`);
}
