// Words of the llm-code generator (llm-code.ts): the pieces a developer's prompt to a coding
// assistant is made of (prose in English, ~10% German; pasted code, stack traces, shell sessions,
// diffs, configs with placeholders), and an internal docs Q&A bot's questions (English only).
// Phrasings of our own, not those of the other llm generators. {a|b} picks one alternative,
// {slot} draws a value (llm-code.ts).

export const LANGS = ['Python', 'TypeScript', 'Go', 'Rust', 'Java', 'Kotlin', 'bash', 'SQL'];
export const LIBS = ['pandas', 'fastapi', 'sqlalchemy', 'pydantic', 'react', 'express', 'prisma', 'zod', 'vitest', 'gin', 'tokio', 'serde', 'spring-boot', 'celery', 'redis-py', 'boto3', 'kafkajs', 'polars', 'httpx', 'jest', 'webpack', 'vite', 'pytest', 'alembic'];
export const TOOLS = ['kubectl', 'terraform', 'helm', 'docker compose', 'git', 'npm', 'pnpm', 'poetry', 'cargo', 'gradle', 'make', 'gh', 'aws', 'psql'];
export const SERVICES = ['billing-api', 'search-indexer', 'auth-gateway', 'ledger', 'notifications', 'reporting-worker', 'checkout', 'feature-flags', 'media-transcoder', 'user-profile'];
export const TEAMS = ['Payments', 'Platform', 'Search', 'Data Infra', 'Identity', 'Growth', 'Mobile', 'SRE'];
export const NAMESPACES = ['prod', 'staging', 'dev', 'payments', 'search', 'platform-tools'];

/** Short asks: one line, often without code. */
export const ASKS = [
  'how do I {task} in {lang}?',
  'what\'s the difference between {pair}?',
  'whats the idiomatic way to {task} with {lib}',
  'is there a way to {task} without pulling in another dependency?',
  'write a {lang} function that {does}',
  'can you explain what `{expr}` does',
  'why would `{expr}` be slower than a plain loop?',
  '{lib} vs {lib} for a new service, thoughts?',
  'give me a regex that matches {regexTarget}',
  'how do I mock {mockTarget} in {testlib}?',
  'convert this to async/await please',
  'what does exit code {exit} mean for a container?',
  'how can I make {tool} {toolTask}?',
  'best way to paginate a {db} query with {n}M rows?',
  'should {svc} use a {queue} or just a cron job for this?',
  'explain {concept} like I\'ve only ever used {lang}',
  'why does my {lang} build take {n} minutes in CI but {m} locally',
  'how do I find which commit broke `{testname}`?',
  'what\'s a sane default for {setting}?',
  'rename {ident} to {ident2} across the repo, how do I do that safely',
];
export const TASK = ['read a large CSV in chunks', 'retry an HTTP call with exponential backoff', 'debounce a callback', 'stream a file to S3', 'parse ISO 8601 dates with time zones', 'deduplicate a list while keeping order', 'run two queries in one transaction', 'cancel a request after a timeout', 'validate a JSON payload', 'group rows by week', 'flatten a nested dict', 'hash a password', 'write a table-driven test', 'watch a directory for changes', 'compress a response with gzip', 'share a DB pool between workers', 'serialize a dataclass to JSON', 'limit concurrency to {n} tasks'];
export const DOES = ['returns the {n} most frequent words in a file', 'splits a list into chunks of {n}', 'checks whether two intervals overlap', 'converts snake_case keys to camelCase recursively', 'merges two sorted arrays', 'computes a rolling average over {n} points', 'retries on 429 and 503 only', 'formats bytes as KiB/MiB/GiB', 'validates an IBAN', 'parses a semver string'];
export const PAIRS = ['`==` and `is` in Python', '`interface` and `type` in TypeScript', 'a mutex and a channel in Go', '`Arc<Mutex<T>>` and `RwLock`', 'LEFT JOIN and NOT EXISTS', 'rebase and merge', 'a Deployment and a StatefulSet', '`useMemo` and `useCallback`', 'optimistic and pessimistic locking', '`COPY` and `ADD` in a Dockerfile', 'process and thread pools'];
export const EXPRS = ['[x for x in xs if x]', 'arr.reduce((a, b) => ({ ...a, ...b }), {})', 'select {\n  case <-ctx.Done():\n  }', 'Option<&mut T>', 'df.groupby("user_id").agg({"amount": "sum"})', 'Promise.allSettled(jobs)', 'SELECT DISTINCT ON (user_id) *', '"${@:2}"', 'Object.freeze(config)', '?.', 'itertools.chain.from_iterable(rows)', 'std::mem::take(&mut self.buf)'];
export const CONCEPTS = ['dependency injection', 'backpressure', 'idempotency keys', 'the borrow checker', 'event sourcing', 'a bloom filter', 'consistent hashing', 'structured concurrency', 'MVCC', 'tail call optimisation', 'CRDTs'];
export const SETTINGS = ['the JVM max heap in a 2 GiB container', 'a Postgres statement_timeout for an API', 'HPA target CPU', 'gunicorn worker count', 'a Kafka consumer max.poll.records', 'readiness probe timeouts', 'the Node max-old-space-size'];

/** Openers before a paste, and questions after it. */
export const LEADS = ['getting this when I run {cmd}:', 'this fails in CI but not locally:', 'any idea what\'s wrong here?', 'can you review this?', 'I\'m stuck on this error', 'prod started throwing this after the last deploy of {svc}:', 'here\'s the trace', 'this test is flaky, roughly 1 in {n} runs:', 'refactor this to be more readable pls', 'our linter complains about this function', 'hey, quick one —', 'why is this so slow? it takes {n}s on {m}k rows', 'we upgraded {lib} to {ver} and now:', 'ok so after your last suggestion I get'];
export const AFTERS = ['what am I missing?', 'is there a cleaner way?', 'we\'re on {lang} {ver} if that matters', 'thanks!', 'I already tried restarting the pod', 'the same code worked yesterday', '', '', 'can you also add a test for it', 'keep the public API the same please', 'no new dependencies if possible', 'explain the fix, don\'t just paste code'];
export const CMDS = ['`make test`', '`npm run build`', '`pytest -x tests/integration`', '`go test ./...`', '`cargo build --release`', '`docker compose up`', '`terraform apply`', '`helm upgrade --install {svc} ./chart`', '`./gradlew check`', '`alembic upgrade head`'];

/** German prompts of the team in Berlin (a normal second language in the coding stream). */
export const GERMAN = [
  'Wie kann ich in {lang} {deTask}?',
  'Was ist der Unterschied zwischen {pair}?',
  'Warum schlägt dieser Test in der CI fehl, lokal aber nicht?',
  'Kannst du mir erklären, was `{expr}` genau macht?',
  'Ich bekomme beim Deployment von {svc} diesen Fehler, hast du eine Idee?',
  'Gibt es eine elegantere Lösung dafür? Ich möchte keine neue Abhängigkeit einbauen.',
  'Schreib mir bitte eine Funktion in {lang}, die {deDoes}.',
  'Wie teste ich das am besten mit {testlib}?',
  'Der Build dauert seit dem Update auf {lib} {ver} ewig, woran kann das liegen?',
  'Kurze Frage: sollte {svc} dafür eine Queue nutzen oder reicht ein Cronjob?',
];
export const DE_TASK = ['eine große CSV-Datei in Blöcken einlesen', 'einen HTTP-Aufruf mit exponentiellem Backoff wiederholen', 'Datumswerte mit Zeitzonen parsen', 'eine Liste ohne Duplikate behalten', 'zwei Abfragen in einer Transaktion ausführen', 'die Anzahl paralleler Tasks begrenzen'];
export const DE_DOES = ['die {n} häufigsten Wörter einer Datei zurückgibt', 'eine Liste in Blöcke der Größe {n} teilt', 'prüft, ob sich zwei Intervalle überschneiden', 'Bytes als KiB/MiB/GiB formatiert'];
export const DE_LEADS = ['Ich bekomme diesen Fehler:', 'Das hier funktioniert nicht, warum?', 'Kannst du das bitte reviewen?', 'Seit dem letzten Deploy sehen wir das hier:'];

/** Questions to the internal docs bot. */
export const DOCS_ASKS = [
  'where is the runbook for {svc}?',
  'how do I request access to {system}?',
  'who is on call for {team} this week?',
  'what\'s the process for a hotfix to {svc} outside the release train?',
  'link to the ADR about {adr}?',
  'how do I rotate the {credential} for {svc}? is there a doc',
  'what\'s our policy on {policy}?',
  'is there a template for a postmortem?',
  'how do I add a new service to the {platformThing}?',
  'which Slack channel do I use for {topicChannel}?',
  'what are the SLOs for {svc}',
  'where do I find the Grafana dashboard for {svc} latency',
  'how do I get a {env} database snapshot for debugging',
  'does {team} own {svc} or did that move?',
  'what is {acronym}? saw it in the {team} planning doc',
  'steps to onboard a new engineer to {team}?',
  'how do feature flags get cleaned up after a rollout',
  'can you summarise the deploy freeze rules for {season}?',
  'where is the list of approved {approved}?',
  'how long do we keep {dataKind} logs',
  'what\'s the ticket prefix for {team} in Jira, {ticket}?',
  'how do I trigger a canary for {svc} manually',
  'our {svc} page says "see RFC-{n}" but the link is dead, where did it move?',
];
export const SYSTEMS = ['the prod Kubernetes cluster', 'Snowflake', 'the payments AWS account', 'PagerDuty', 'the Sentry org', 'Vault', 'the data warehouse', 'Looker', 'the staging VPN', 'the GitHub org\'s admin team'];
export const ADRS = ['moving to gRPC', 'choosing Postgres over DynamoDB', 'the monorepo', 'event-driven billing', 'OpenTelemetry adoption', 'dropping Python 3.9', 'the service mesh'];
export const CREDENTIALS = ['database password', 'API signing key', 'TLS certificate', 'service account key', 'webhook secret', 'OAuth client secret'];
export const POLICIES = ['code review approvals', 'using AI tools with customer data', 'on-call compensation', 'pushing directly to main', 'open-source licences in dependencies', 'storing PII in logs', 'working from another country'];
export const CHANNELS = ['incident comms', 'deploy announcements', 'infra cost questions', 'security reports', 'flaky tests'];
export const ACRONYMS = ['RTO', 'DORA', 'SLI', 'ERB', 'PRR', 'TDR', 'COGS'];
export const APPROVED = ['base images', 'third-party vendors', 'Terraform modules', 'npm registries', 'LLM providers'];
export const DATA_KINDS = ['audit', 'access', 'application', 'CDN', 'payment'];

/** Off-topic runs (topic_drift): unrelated everyday subjects. */
export const DRIFT_TOPICS: readonly string[][] = [
  ['my sourdough starter smells like {nail polish|vinegar|cheese}, is it dead?', 'how long should I cold-proof a {loaf|baguette|focaccia} in the fridge', 'what hydration % for a beginner sourdough', 'why is my bread dense and gummy in the middle', 'can I use {rye|spelt|whole wheat} flour to feed the starter', 'oven spring is flat, dutch oven or baking stone?'],
  ['I\'m training for a {half|full} marathon in {n} weeks, is 3 runs a week enough', 'what pace should my long runs be if my 10k is {n} minutes', 'shin splints after every run, should I stop', 'gels or dates during a marathon?', 'how much should I taper before race day', 'best shoes for overpronation under 120 euros'],
  ['we\'re planning a wedding in {Lisbon|Tuscany|the Algarve} for {n} guests, where do we start', 'is it rude to not invite plus-ones', 'how far in advance do you book a wedding photographer', 'ideas for a first dance song that isn\'t cheesy', 'what\'s a normal budget for flowers', 'how do I politely tell my aunt she can\'t give a speech'],
  ['my {monstera|fiddle leaf fig|pothos} has yellow leaves, overwatering?', 'how often do I repot a {snake plant|calathea|ficus}', 'what grow light for a north-facing flat', 'there are tiny flies in my plant soil, how to get rid of them', 'can cats be around {lilies|aloe|pothos}', 'propagating in water vs soil, which is better'],
  ['easiest chords to learn first on acoustic guitar', 'my fingertips hurt after playing, does that go away', 'how do I switch from G to C faster', 'is a {nylon|steel} string guitar better for beginners', 'how to read guitar tabs', 'barre chords sound buzzy, what am I doing wrong'],
  ['two weeks in Japan in {April|October|November}, Tokyo Kyoto Osaka enough?', 'is the JR pass still worth it', 'do I need cash in Japan or are cards fine everywhere', 'best day trip from Kyoto', 'how do onsen etiquette rules work with tattoos', 'cheap ryokan recommendations near Hakone'],
];
