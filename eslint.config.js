// ESLint (flat config): typescript-eslint's type-checked rules over the TypeScript of src, engine,
// workers, bin, bench and test, plus the layer rules of docs/architecture.md as
// `no-restricted-imports` patterns, one block per source folder. The layer rules mirror
// src/tools/layers.ts (checked by test/internals/layers.test.ts, which also sees dynamic imports);
// here they show up in the editor as you type.
import { readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = dirname(fileURLToPath(import.meta.url));

// ---- layer rules (same table as src/tools/layers.ts) --------------------------------------------
// `from`: the folder a rule applies to (recursively); `allowed`: project paths it may import
// (a trailing slash means a folder, otherwise one file).
const LAYERS = [
  { from: 'workers/', allowed: ['workers/'], text: 'workers/ imports nothing outside workers/' },
  { from: 'engine/', allowed: ['engine/', 'src/core/', 'workers/types.ts'], text: 'the engine imports only src/core/ from src/ (and workers/types.ts)' },
  { from: 'src/core/', allowed: ['src/core/', 'workers/types.ts'], text: 'src/core/ imports only src/core/' },
  { from: 'src/control/', allowed: ['src/core/', 'src/control/'], text: 'src/control/ imports neither engine/ nor src/edge/ nor src/tools/' },
  { from: 'src/edge/', allowed: ['src/core/', 'src/edge/'], text: 'src/edge/ imports only src/core/' },
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Directories under `dir` (project-relative POSIX), `dir` included. */
function dirsUnder(dir) {
  const out = [dir];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...dirsUnder(posix.join(dir, e.name)));
  }
  return out;
}

/**
 * Regexes matching the relative specifiers that, written in a file of `dir`, reach a path outside
 * `allowed`. A specifier that climbs m levels lands in an ancestor P of `dir`; if P lies inside an
 * allowed folder anything below it is fine, otherwise what follows must lead into an allowed path.
 */
function forbiddenFrom(dir, allowed) {
  const parts = dir.split('/');
  const out = [];
  for (let m = 1; m <= parts.length; m++) {
    const p = parts.slice(0, parts.length - m).join('/');
    const base = p === '' ? '' : `${p}/`;
    if (allowed.some((a) => a.endsWith('/') && base.startsWith(a))) continue;
    const rest = allowed
      .filter((a) => a.startsWith(base))
      .map((a) => a.slice(base.length))
      .map((r) => (r.endsWith('/') ? escape(r) : `${escape(r.replace(/\.ts$/, '.js'))}$`));
    const guard = rest.length === 0 ? '' : `(?!${rest.join('|')})`;
    out.push(`^(?:\\.\\./){${m}}(?!\\.\\./)${guard}`);
  }
  return out;
}

const layerBlocks = LAYERS.flatMap(({ from, allowed, text }) =>
  dirsUnder(from.slice(0, -1)).map((dir) => ({
    files: [`${dir}/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: forbiddenFrom(dir, allowed).map((regex) => ({ regex, message: `layers: ${text} (docs/architecture.md)` })) },
      ],
    },
  })),
);
layerBlocks.push({
  files: ['src/system.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: '^\\./tools/', message: 'layers: src/system.ts does not import src/tools/ (docs/architecture.md)' }] },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ci/**', 'deploy/**', 'examples/**', 'scripts/**', 'bench/compress/**', 'test/fixtures/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: ROOT },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: Fastify plugins, hooks and route handlers are async by contract (a returned value is
      // the reply) whether or not they await, and interfaces such as RateLimitStore are async for
      // their Redis implementation while the in-memory one awaits nothing.
      '@typescript-eslint/require-await': 'off',
      // A variable read by a closure before its one assignment (a signal handler) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `const { secret: _secret, ...rest } = x` and `_`-named parameters are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read JSON bodies, pg rows and fake-server payloads as `any` and assert on them; typing
    // every response would add casts, not safety (the assertions are the check). Stringifying
    // unknown values into failure messages is likewise fine there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  ...layerBlocks,
);
