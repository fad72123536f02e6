// Bundles the dashboard (web/) into dist/web with esbuild: hashed app.js and app.css under
// assets/, index.html pointing at them, and .gz / .br copies for @fastify/static's
// preCompressed. Prints the compressed size of the first load (index + js + css).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const r = await build({
  entryPoints: { app: join(root, 'web/src/main.js'), style: join(root, 'web/src/app.css') },
  bundle: true, minify: true, format: 'esm', target: ['es2022'], write: false, outdir: join(out, 'assets'),
  legalComments: 'none', logLevel: 'warning',
});
const files = {};
for (const f of r.outputFiles) {
  const ext = f.path.endsWith('.css') ? 'css' : 'js';
  const hash = createHash('sha256').update(f.contents).digest('hex').slice(0, 10);
  const name = `app.${hash}.${ext}`;
  files[ext] = name;
  writeFileSync(join(out, 'assets', name), f.contents);
}
const index = readFileSync(join(root, 'web/index.html'), 'utf8')
  .replace('/assets/app.css', `/assets/${files.css}`).replace('/assets/app.js', `/assets/${files.js}`);
writeFileSync(join(out, 'index.html'), index);

let gz = 0;
let br = 0;
for (const p of ['index.html', `assets/${files.js}`, `assets/${files.css}`]) {
  const body = readFileSync(join(out, p));
  const g = gzipSync(body, { level: 9 });
  const b = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(join(out, p + '.gz'), g);
  writeFileSync(join(out, p + '.br'), b);
  gz += g.length;
  br += b.length;
}
console.log(`web: first load ${(gz / 1024).toFixed(1)} KiB gzip, ${(br / 1024).toFixed(1)} KiB brotli (index.html + ${files.js} + ${files.css})`);
