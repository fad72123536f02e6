import { describe, expect, it } from 'vitest';
import { defaults, loadConfig, parseTrustProxy } from '../../src/core/config.js';

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

  it('every option error names the variable and the option the same way', () => {
    const cases: [Record<string, string>, string][] = [
      [{ DRIFTWATCH_TENANT_ID: 'nope' }, 'DRIFTWATCH_TENANT_ID (options.tenantId) must be a UUID, got "nope"'],
      [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN (options.metricsToken) must be at least 16 characters long'],
      [{ DRIFTWATCH_DOMAIN: 'Not A Domain' }, 'DRIFTWATCH_DOMAIN (options.driftwatchDomain) is not valid, got "Not A Domain"'],
      [{ EXTERNAL_JWT_SECRET: 'x'.repeat(31) }, 'EXTERNAL_JWT_SECRET (options.externalJwtSecret) must be at least 32 characters'],
      [{ FLY_REGIONS: 'iad,AMS' }, 'FLY_REGIONS (options.flyRegions) must be a comma list of region codes (iad,ams), got "iad,AMS"'],
      [{ VM_PROVIDER: 'fly' }, 'FLY_API_TOKEN (options.flyApiToken) must be set when VM_PROVIDER is fly'],
      [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY (options.trustProxy) must be false, true, a hop count or comma-separated addresses/CIDRs, got "maybe"'],
    ];
    for (const [env, message] of cases) expect(() => loadConfig({ env })).toThrow(message);
    expect(() => loadConfig({ overrides: { metricsToken: '' } })).toThrow('METRICS_TOKEN (options.metricsToken) must not be empty');
  });

  it('bool options and TRUST_PROXY read the same words; TRUST_PROXY=1 is one hop', () => {
    for (const w of ['1', 'true', 'YES', 'on']) expect(loadConfig({ env: { DEMO_TENANT: w } }).demoTenant).toBe(true);
    for (const w of ['0', 'false', 'No', 'off']) expect(loadConfig({ env: { DEMO_TENANT: w } }).demoTenant).toBe(false);
    for (const w of ['true', 'YES', 'on']) expect(parseTrustProxy(w)).toBe(true);
    for (const w of ['0', 'false', 'No', 'off']) expect(parseTrustProxy(w)).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });
});
