// Locations inside the installed package, valid both from sources (vitest, src/*.ts) and
// from the compiled tree (dist/src/*.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema.sql'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('driftwatch: cannot find the package root (package.json beside schema.sql)');
    dir = up;
  }
}

export const packageRoot = findRoot();
export const schemaPath = join(packageRoot, 'schema.sql');
/** Compiled worker task files live in dist/ (npm run build; `npm ci` and `npm test` build first). */
export const distDir = join(packageRoot, 'dist');
export const workerFile = (name: string): string => join(distDir, 'workers', `${name}.js`);
