#!/usr/bin/env bash
# bench/compare.sh <ref> [bench args...]: a git ref against the working tree, on this machine.
#
#   git archive <ref> ─► temp dir (node_modules linked from here) ─► tsc      (the ref)
#   this working tree ─────────────────────────────────────────────► tsc      (the tree)
#   RUNS times, alternating which goes first: node dist/bench/<bench>.bench.js [bench args]
#     each run a fresh process (and, for ingest, fresh children and a fresh database)
#   ─► per case: the median of each figure over the runs, ref → tree, and tree / ref
#
# Env: RUNS (default 3), BENCH (default ingest: bench/ingest.bench.ts; or blocks, detect).
# Example: bench/compare.sh main --duration 10
#          RUNS=5 BENCH=blocks bench/compare.sh HEAD~3
# Reads every line `name: N unit ...` of the bench's output (lines starting with # are headers);
# for ingest lines also p50, p99 and rss. Raw outputs stay in $KEEP if set, else are removed.
set -euo pipefail
if [ $# -lt 1 ]; then echo "usage: bench/compare.sh <ref> [bench args...]" >&2; exit 2; fi
ref=$1; shift
runs=${RUNS:-3}
bench=${BENCH:-ingest}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dw-compare-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=${KEEP:-$tmp/out}
mkdir -p "$tmp/ref" "$out"

git -C "$root" rev-parse --verify --quiet "$ref^{commit}" >/dev/null || { echo "compare: unknown ref $ref" >&2; exit 2; }
git -C "$root" archive "$ref" | tar -x -C "$tmp/ref"
ln -s "$root/node_modules" "$tmp/ref/node_modules"
echo "# compare: building $ref ($(git -C "$root" rev-parse --short "$ref")) and the working tree" >&2
(cd "$tmp/ref" && npx --no-install tsc -p tsconfig.json)
(cd "$root" && npx --no-install tsc -p tsconfig.json)
[ -f "$tmp/ref/dist/bench/$bench.bench.js" ] || { echo "compare: $ref has no bench/$bench.bench.ts" >&2; exit 2; }

run() { # run ref|tree <n> [bench args...]
  local side=$1 n=$2 dir=$root
  shift 2
  [ "$side" = ref ] && dir=$tmp/ref
  echo "# run $n: $side" >&2
  (cd "$dir" && node "dist/bench/$bench.bench.js" "$@") >"$out/$side.$n" 2>"$out/$side.$n.err" || {
    echo "compare: $side run $n failed:" >&2; cat "$out/$side.$n.err" >&2; exit 1; }
}
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then run ref "$i" "$@"; run tree "$i" "$@"; else run tree "$i" "$@"; run ref "$i" "$@"; fi
done

node - "$out" "$runs" "$ref" <<'EOF'
const fs = require('node:fs');
const [dir, runs, ref] = process.argv.slice(2);
const median = (xs) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };
const read = (side) => {
  const cases = new Map();
  for (let i = 1; i <= Number(runs); i++) {
    for (const line of fs.readFileSync(`${dir}/${side}.${i}`, 'utf8').split('\n')) {
      const m = /^([\w.-]+): ([\d.]+) (\S+)/.exec(line);
      if (!m) continue;
      const c = cases.get(m[1]) ?? { unit: m[3], v: [], p50: [], p99: [], rss: [] };
      c.v.push(Number(m[2]));
      for (const [k, re] of [['p50', / p50 ([\d.]+) ms/], ['p99', / p99 ([\d.]+) ms/], ['rss', / rss ([\d.]+) MiB/]]) {
        const x = re.exec(line); if (x) c[k].push(Number(x[1]));
      }
      cases.set(m[1], c);
    }
  }
  return cases;
};
const a = read('ref'), b = read('tree');
const fmt = (c) => c === undefined ? 'n/a' :
  `${Math.round(median(c.v))} ${c.unit}` + (c.p50.length ? ` p50 ${median(c.p50).toFixed(1)} p99 ${median(c.p99).toFixed(1)} ms rss ${Math.round(median(c.rss))} MiB` : '');
console.log(`# median of ${runs} runs each, alternating order; ${ref} → working tree`);
for (const name of new Set([...a.keys(), ...b.keys()])) {
  const x = a.get(name), y = b.get(name);
  const ratio = x && y ? ` (×${(median(y.v) / median(x.v)).toFixed(2)})` : '';
  console.log(`${name}: ${fmt(x)} → ${fmt(y)}${ratio}`);
}
EOF
