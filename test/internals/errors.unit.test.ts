import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DwError, errorBody, errorCodes, isDwError } from '../../src/core/errors.js';
import { packageRoot } from '../../src/core/paths.js';

describe('errors', () => {
  const doc = readFileSync(join(packageRoot, 'docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/`(DW_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]));

  it('every code in src/core/errors.ts is documented with its status', () => {
    for (const [code, spec] of Object.entries(errorCodes)) {
      expect(documented.has(code), `${code} missing from docs/errors.md`).toBe(true);
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.status} \\|`));
    }
  });

  it('the doc lists no code the file lacks', () => {
    for (const code of documented) expect(Object.hasOwn(errorCodes, code), `${code} is not in src/core/errors.ts`).toBe(true);
  });

  it('every DW_ERR_ literal in src, engine and workers is registered (a worker result code too)', () => {
    const unregistered: string[] = [];
    const scan = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) scan(p);
        else if (/\.(ts|mts|js|mjs)$/.test(e.name)) {
          for (const m of readFileSync(p, 'utf8').matchAll(/DW_ERR_[A-Z0-9_]+/g)) {
            if (!Object.hasOwn(errorCodes, m[0])) unregistered.push(`${relative(packageRoot, p)}: ${m[0]}`);
          }
        }
      }
    };
    for (const d of ['src', 'engine', 'workers']) scan(join(packageRoot, d));
    expect(unregistered).toEqual([]);
  });

  it('DwError carries code, status and a body', () => {
    const e = new DwError('DW_ERR_INVALID_EVENT', 'events[3].timestamp must be a string or number', { index: 3 });
    expect(e.code).toBe('DW_ERR_INVALID_EVENT');
    expect(e.statusCode).toBe(400);
    expect(isDwError(e)).toBe(true);
    expect(isDwError(new Error('x'))).toBe(false);
    expect(errorBody(e)).toEqual({ error: { code: 'DW_ERR_INVALID_EVENT', message: 'An event is not valid: events[3].timestamp must be a string or number', details: { index: 3 } } });
  });
});
