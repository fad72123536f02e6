import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { options } from '../../src/core/config.js';
import { packageRoot } from '../../src/core/paths.js';

describe('README', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');

  it('documents every configuration option with its variable and flag', () => {
    for (const o of Object.values(options)) {
      expect(readme, `${o.env} missing`).toContain(`| \`${o.env}\` | \`${o.flag}\` |`);
    }
  });

  it('has the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
