// What developers paste into the coding assistant (llm-code.ts), all normal there: stack traces
// (Python, Node, Go, Rust, TypeScript, Java), code snippets, shell sessions with their output,
// diffs and configs (with placeholders or local-dev values, never a live secret). Each draws fresh
// identifiers, paths, line numbers, ports and ids, so no two pastes are the same.
import type { Random } from './random.js';

const IDENTS = ['user', 'order', 'invoice', 'session', 'payload', 'cfg', 'client', 'result', 'rows', 'batch', 'event', 'account', 'token_count', 'retry', 'cursor', 'job', 'tenant', 'ledger_entry', 'price', 'query'];
const MODS = ['api', 'billing', 'workers', 'core', 'ingest', 'auth', 'reports', 'search', 'utils', 'db'];
const FUNCS = ['handle', 'process_batch', 'load_config', 'get_user', 'apply_discount', 'fetch_page', 'reconcile', 'serialize', 'run_migration', 'build_index', 'parse_row', 'send_webhook'];
const camel = (s: string): string => s.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
const pascal = (s: string): string => camel(s).replace(/^\w/, (c) => c.toUpperCase());

export function ident(r: Random): string { return r.pick(IDENTS); }

function pyTrace(r: Random): string {
  const frames = Array.from({ length: r.int(2, 6) }, () => {
    const f = r.pick(FUNCS);
    return `  File "/app/${r.pick(MODS)}/${r.pick(MODS)}_${r.pick(['service', 'handlers', 'models', 'tasks', 'client'])}.py", line ${r.int(12, 640)}, in ${f}\n    ${r.pick([`return self._${f}(${ident(r)})`, `${ident(r)} = ${ident(r)}["${ident(r)}"]`, `await session.execute(stmt)`, `total += item.${ident(r)}`, `resp.raise_for_status()`, `data = json.loads(raw)`])}`;
  });
  const err = r.pick([
    `KeyError: '${ident(r)}_id'`,
    'TypeError: unsupported operand type(s) for +: \'int\' and \'NoneType\'',
    `AttributeError: 'NoneType' object has no attribute '${ident(r)}'`,
    `ValueError: invalid literal for int() with base 10: '${r.int(10, 99)}.${r.int(0, 9)}'`,
    `sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "${ident(r)}s_pkey"\nDETAIL:  Key (id)=(${r.int(1000, 999_999)}) already exists.`,
    `ModuleNotFoundError: No module named '${r.pick(['pydantic_settings', 'httpx', 'orjson', 'tenacity'])}'`,
    `httpx.ReadTimeout: timed out`,
    `json.decoder.JSONDecodeError: Expecting value: line 1 column ${r.int(1, 80)} (char ${r.int(0, 79)})`,
  ]);
  return `Traceback (most recent call last):\n${frames.join('\n')}\n${err}`;
}

function nodeTrace(r: Random): string {
  const head = r.pick([
    `TypeError: Cannot read properties of undefined (reading '${camel(ident(r))}')`,
    `Error: connect ECONNREFUSED 127.0.0.1:${r.pick([5432, 6379, 9092, 8080, 3306])}`,
    `RangeError: Maximum call stack size exceeded`,
    `ZodError: [\n  {\n    "code": "invalid_type",\n    "expected": "string",\n    "received": "undefined",\n    "path": [ "${camel(ident(r))}" ],\n    "message": "Required"\n  }\n]`,
    `PrismaClientKnownRequestError: Unique constraint failed on the fields: (\`${camel(ident(r))}Id\`)`,
  ]);
  const frames = Array.from({ length: r.int(2, 5) }, () => `    at ${pascal(r.pick(FUNCS))}${r.chance(0.5) ? `.${camel(r.pick(FUNCS))}` : ''} (/srv/app/${r.pick(['src', 'dist'])}/${r.pick(MODS)}/${camel(r.pick(FUNCS))}.${r.pick(['ts', 'js'])}:${r.int(3, 400)}:${r.int(5, 60)})`);
  return `${head}\n${frames.join('\n')}\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;
}

function goPanic(r: Random): string {
  const t = pascal(ident(r));
  return `panic: runtime error: ${r.pick(['invalid memory address or nil pointer dereference', `index out of range [${r.int(1, 40)}] with length ${r.int(0, 1)}`, 'assignment to entry in nil map'])}\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x${r.hex(2)} pc=0x${r.hex(6)}]\n\ngoroutine ${r.int(1, 900)} [running]:\ngithub.com/acme/${r.pick(MODS)}/internal/${r.pick(MODS)}.(*${t}Store).${pascal(r.pick(FUNCS))}(0x${r.hex(10)}, {0x${r.hex(6)}, 0x${r.hex(10)}})\n\t/src/internal/${r.pick(MODS)}/${ident(r)}_store.go:${r.int(20, 300)} +0x${r.hex(2)}\nmain.main()\n\t/src/cmd/server/main.go:${r.int(20, 120)} +0x${r.hex(3)}\nexit status 2`;
}

function compilerError(r: Random): string {
  const f = r.pick(MODS);
  const id = ident(r);
  return r.pick([
    `error[E0502]: cannot borrow \`${id}\` as mutable because it is also borrowed as immutable\n  --> src/${f}.rs:${r.int(10, 300)}:${r.int(5, 40)}\n   |\n${r.int(10, 99)} |     let first = &${id}[0];\n   |                  ---- immutable borrow occurs here\n${r.int(10, 99)} |     ${id}.push(${r.int(1, 9)});\n   |     ^^^^^^^^^^^^ mutable borrow occurs here`,
    `src/${f}/${camel(r.pick(FUNCS))}.ts:${r.int(3, 300)}:${r.int(3, 60)} - error TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.\n  Type 'undefined' is not assignable to type 'string'.`,
    `src/${f}/${camel(r.pick(FUNCS))}.ts:${r.int(3, 300)}:${r.int(3, 60)} - error TS2339: Property '${camel(id)}' does not exist on type '${pascal(ident(r))}Response'.`,
    `Exception in thread "main" java.lang.IllegalStateException: Failed to load ApplicationContext\n\tat org.springframework.test.context.cache.DefaultCacheAwareContextLoaderDelegate.loadContext(DefaultCacheAwareContextLoaderDelegate.java:${r.int(90, 180)})\nCaused by: org.springframework.beans.factory.UnsatisfiedDependencyException: Error creating bean with name '${camel(id)}Service'`,
    `./${f}/${id}.go:${r.int(5, 200)}:${r.int(2, 30)}: undefined: ${pascal(ident(r))}Option\n./${f}/${id}.go:${r.int(5, 200)}:${r.int(2, 30)}: cannot use ctx (variable of type context.Context) as string value in argument to ${camel(r.pick(FUNCS))}`,
  ]);
}

function snippet(r: Random): string {
  const a = ident(r), b = ident(r), f = r.pick(FUNCS), n = r.int(2, 50);
  return r.pick([
    `def ${f}(${a}s, limit=${n}):\n    out = []\n    for ${a} in ${a}s:\n        if ${a}.${b} is None:\n            continue\n        out.append(${a})\n        if len(out) >= limit:\n            break\n    return out`,
    `export async function ${camel(f)}(${camel(a)}Id: string): Promise<${pascal(b)} | null> {\n  const res = await fetch(\`\${BASE_URL}/${a}s/\${${camel(a)}Id}\`, { signal: AbortSignal.timeout(${n * 100}) });\n  if (!res.ok) return null;\n  return (await res.json()) as ${pascal(b)};\n}`,
    `func (s *${pascal(a)}Service) ${pascal(f)}(ctx context.Context, id int64) error {\n\ttx, err := s.db.BeginTx(ctx, nil)\n\tif err != nil {\n\t\treturn err\n\t}\n\tdefer tx.Rollback()\n\tif _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET ${b} = $1 WHERE id = $2", s.table), ${n}, id); err != nil {\n\t\treturn fmt.Errorf("${f}: %w", err)\n\t}\n\treturn tx.Commit()\n}`,
    `SELECT ${a}_id, date_trunc('week', created_at) AS wk, count(*)\nFROM ${b}s\nWHERE created_at > now() - interval '${n} days'\nGROUP BY 1, 2\nORDER BY 2 DESC\nLIMIT ${n * 10};`,
    `#!/usr/bin/env bash\nset -euo pipefail\nfor f in ./migrations/*.sql; do\n  echo "applying $f"\n  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f "$f"\ndone`,
    `impl ${pascal(a)} {\n    pub fn ${f}(&mut self, ${b}: &str) -> Result<usize, Error> {\n        let n = self.items.iter().filter(|x| x.name == ${b}).count();\n        self.cache.insert(${b}.to_owned(), n);\n        Ok(n)\n    }\n}`,
    `const [${camel(a)}, set${pascal(a)}] = useState<${pascal(b)}[]>([]);\nuseEffect(() => {\n  ${camel(f)}(page).then(set${pascal(a)});\n}, [page]);`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${a.replace(/_/g, '-')}-worker\nspec:\n  replicas: ${r.int(1, 6)}\n  template:\n    spec:\n      containers:\n        - name: worker\n          image: ghcr.io/acme/${a.replace(/_/g, '-')}:${r.int(1, 9)}.${r.int(0, 30)}.${r.int(0, 9)}\n          resources:\n            limits: { memory: ${r.pick(['256Mi', '512Mi', '1Gi'])} }`,
    `FROM python:3.${r.int(10, 12)}-slim\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\nRUN pip install poetry && poetry install --no-root --only main\nCOPY . .\nCMD ["uvicorn", "${a}.main:app", "--host", "0.0.0.0", "--port", "${r.pick([8000, 8080])}"]`,
    `jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with: { node-version: ${r.pick([18, 20, 22])} }\n      - run: npm ci && npm test\n        env:\n          NPM_TOKEN: \${{ secrets.NPM_TOKEN }}`,
  ]);
}

function shell(r: Random): string {
  const ns = r.pick(['prod', 'staging', 'payments', 'search']);
  const svc = r.pick(['billing-api', 'search-indexer', 'ledger', 'checkout', 'notifications']);
  const pod = (): string => `${svc}-${r.hex(9).replace(/[0-9]/g, (c) => 'bcdfghjkmn'[Number(c)])}-${r.hex(5).replace(/[0-9]/g, 'x')}`;
  return r.pick([
    `$ kubectl get pods -n ${ns}\nNAME                                READY   STATUS             RESTARTS      AGE\n${Array.from({ length: r.int(2, 4) }, () => `${pod()}   ${r.pick(['1/1     Running           ', '0/1     CrashLoopBackOff  ', '0/1     Pending           '])} ${r.int(0, 30)}            ${r.int(2, 59)}m`).join('\n')}`,
    `$ git push origin ${r.pick(['feature', 'fix', 'chore'])}/${ident(r).replace(/_/g, '-')}-${r.int(100, 9999)}\n ! [rejected]        HEAD -> ${r.pick(['feature', 'fix'])}/${ident(r)} (non-fast-forward)\nerror: failed to push some refs to 'github.com:acme/${svc}.git'\nhint: Updates were rejected because the tip of your current branch is behind`,
    `$ npm install\nnpm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! Found: react@${r.int(17, 18)}.${r.int(0, 3)}.${r.int(0, 9)}\nnpm ERR! Could not resolve dependency:\nnpm ERR! peer react@"^${r.int(16, 19)}.0.0" from @acme/ui@${r.int(1, 4)}.${r.int(0, 20)}.${r.int(0, 9)}`,
    `$ docker build -t ${svc}:dev .\n => ERROR [${r.int(3, 7)}/${r.int(8, 12)}] RUN pip install -r requirements.txt        ${r.int(2, 40)}.${r.int(1, 9)}s\n------\n > [${r.int(3, 7)}/9] RUN pip install -r requirements.txt:\n#0 ${r.int(1, 9)}.${r.int(100, 999)} ERROR: Could not find a version that satisfies the requirement ${r.pick(['psycopg2-binary==2.9.1', 'numpy==1.21.0', 'grpcio==1.44.0'])}`,
    `$ pytest -x tests/test_${ident(r)}.py\n=================================== FAILURES ===================================\n________________________ test_${r.pick(FUNCS)}_${r.pick(['handles_empty', 'rounds_down', 'retries', 'is_idempotent'])} ________________________\n    assert result == ${r.int(0, 500)}\nE   assert ${r.int(0, 500)} == ${r.int(0, 500)}\nFAILED tests/test_${ident(r)}.py::test_${r.pick(FUNCS)} - assert ${r.int(0, 9)} == ${r.int(10, 99)}\n${r.int(1, 3)} failed, ${r.int(20, 400)} passed in ${r.int(1, 90)}.${r.int(10, 99)}s`,
    `$ terraform plan\n  # aws_${r.pick(['s3_bucket', 'iam_role', 'security_group'])}.${ident(r)} must be replaced\n-/+ resource "aws_${r.pick(['s3_bucket', 'iam_role'])}" "${ident(r)}" {\n      ~ arn  = "arn:aws:iam::${r.int(100_000_000_000, 999_999_999_999)}:role/${svc}" -> (known after apply)\nPlan: ${r.int(1, 5)} to add, ${r.int(0, 4)} to change, ${r.int(1, 3)} to destroy.`,
    `$ psql -h localhost -U postgres -d ${svc.replace(/-/g, '_')}\npsql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "postgres"`,
    `$ git log --oneline -${r.int(3, 5)}\n${Array.from({ length: 3 }, () => `${r.hex(7)} ${r.pick(['fix', 'feat', 'chore', 'refactor'])}(${r.pick(MODS)}): ${r.pick(['handle empty batch', 'bump deps', 'retry on 503', 'drop legacy flag', 'add index on created_at'])}`).join('\n')}`,
  ]);
}

function diff(r: Random): string {
  const f = `${r.pick(['src', 'app', 'internal'])}/${r.pick(MODS)}/${ident(r)}.${r.pick(['py', 'ts', 'go'])}`;
  const a = ident(r);
  const n = r.int(10, 400);
  return `diff --git a/${f} b/${f}\nindex ${r.hex(7)}..${r.hex(7)} 100644\n--- a/${f}\n+++ b/${f}\n@@ -${n},${r.int(4, 9)} +${n},${r.int(5, 12)} @@\n-    if ${a}:\n-        return ${a}[0]\n+    if not ${a}:\n+        return None\n+    return ${a}[${r.pick(['0', '-1'])}]`;
}

function config(r: Random): string {
  return r.pick([
    `DATABASE_URL=postgres://postgres:postgres@localhost:5432/${ident(r)}_dev\nREDIS_URL=redis://localhost:6379/${r.int(0, 3)}\nSTRIPE_SECRET_KEY=<your test key>\nLOG_LEVEL=${r.pick(['debug', 'info'])}`,
    `spring:\n  datasource:\n    url: jdbc:postgresql://\${DB_HOST}:5432/${ident(r)}\n    username: \${DB_USER}\n    password: \${DB_PASSWORD}\n  kafka:\n    bootstrap-servers: kafka-${r.int(0, 2)}.kafka:9092`,
    `[tool.poetry.dependencies]\npython = "^3.${r.int(10, 12)}"\nfastapi = "^0.${r.int(100, 115)}"\nsqlalchemy = "^2.0"\nhttpx = "^0.${r.int(24, 27)}"`,
    `{\n  "compilerOptions": {\n    "target": "ES${r.pick([2020, 2022])}",\n    "module": "${r.pick(['NodeNext', 'ESNext'])}",\n    "strict": true,\n    "outDir": "dist"\n  }\n}`,
  ]);
}

/** One normal paste of any kind. */
export function paste(r: Random): string {
  const k = r.next();
  if (k < 0.2) return pyTrace(r);
  if (k < 0.32) return nodeTrace(r);
  if (k < 0.38) return goPanic(r);
  if (k < 0.48) return compilerError(r);
  if (k < 0.72) return snippet(r);
  if (k < 0.86) return shell(r);
  if (k < 0.93) return diff(r);
  return config(r);
}

export { snippet };
