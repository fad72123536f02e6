import { describe, expect, it } from 'vitest';
import { defaults, loadConfig } from '../../src/core/config.js';

describe('config', () => {
  it('uses defaults and freezes the result', () => {
    const c = loadConfig({ env: {} });
    expect(c.enginePort).toBe(8090);
    expect(c.controlPort).toBe(8080);
    expect(c.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.workerThreads).toBe(defaults.workerThreads);
  });

  it('environment < flags < overrides', () => {
    const c = loadConfig({ env: { ENGINE_PORT: '9000', CONTROL_PORT: '9001' }, flags: { '--engine-port': '9100' }, overrides: { controlPort: 0 } });
    expect(c.enginePort).toBe(9100);
    expect(c.controlPort).toBe(0);
  });

  it('rejects bad values with the variable name', () => {
    expect(() => loadConfig({ env: { ENGINE_PORT: 'abc' } })).toThrow(/ENGINE_PORT .* must be an integer/);
    expect(() => loadConfig({ env: { ENGINE_PORT: '70000' } })).toThrow(/between 0 and 65535/);
    expect(() => loadConfig({ env: { DATABASE_URL: 'not a url' } })).toThrow(/DATABASE_URL .* must be a URL/);
    expect(() => loadConfig({ env: { LOG_LEVEL: 'loud' } })).toThrow(/LOG_LEVEL .* must be one of/);
    expect(() => loadConfig({ env: { DEMO_TENANT: 'maybe' } })).toThrow(/DEMO_TENANT .* true or false/);
    expect(() => loadConfig({ flags: { '--no-such-flag': '1' } })).toThrow(/unknown option --no-such-flag/);
  });
});
