import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { checkLayers, importsOf, projectSources } from '../../src/tools/layers.js';

describe('layers (docs/architecture.md)', () => {
  it('the project has no forbidden import', () => {
    const files = projectSources(packageRoot);
    expect(files.size).toBeGreaterThan(50);
    expect(checkLayers(files)).toEqual([]);
  });

  it('an engine file that imports a control file is refused', () => {
    const files = new Map([
      ['engine/sources/http.ts', "import { buildApp } from '../../src/control/app.js';\nimport { DwError } from '../../src/core/errors.js';"],
    ]);
    expect(checkLayers(files)).toEqual([
      { file: 'engine/sources/http.ts', imports: 'src/control/app.ts', rule: 'the engine imports only src/core/ from src/ (and workers/types.ts)' },
    ]);
  });

  it('the other rules: control ↛ engine/edge, workers ↛ outside, core ↛ control', () => {
    const files = new Map([
      ['src/control/plugins/x.ts', "import type { EngineHandle } from '../../../engine/engine.js';\nimport { x } from '../../edge/proxy.js';"],
      ['workers/detectors/y.ts', "import { log } from '../../src/core/log.js';\nimport { z } from './z.js';"],
      ['src/core/z.ts', "export { a } from '../control/app.js';"],
      ['src/tools/eval/w.ts', "import { a } from '../../../engine/engine.js';"],
    ]);
    expect(checkLayers(files).map((v) => `${v.file} → ${v.imports}`)).toEqual([
      'src/control/plugins/x.ts → engine/engine.ts',
      'src/control/plugins/x.ts → src/edge/proxy.ts',
      'workers/detectors/y.ts → src/core/log.ts',
      'src/core/z.ts → src/control/app.ts',
    ]);
  });

  it('reads static, re-export and dynamic imports', () => {
    expect(importsOf("import a from './a.js';\nexport * from '../b.js';\nconst c = await import('./c.js');\nimport './d.js';\nimport x from 'pg';")).toEqual(['./a.js', '../b.js', './c.js', './d.js']);
  });
});
