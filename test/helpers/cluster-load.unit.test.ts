// separatingStream (cluster-load.ts), the choice of test/cluster/detect-incident.e2e.test.ts: a
// stream name whose partitions for two tenants have different holders. For two tenant ids that
// partitionOf maps alike (FNV-1a modulo 16: the same low four bits) there is none, whatever the
// name: the test took one anyway (`find(...)!`) and failed about once in 16 runs.
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../engine/cluster/partition.js';
import { range, separatingStream } from './cluster-load.js';

const owners = range(16).map((p) => (p < 8 ? 'holder-1' : 'holder-2'));
const a = '6f1c2a8e-0000-4000-8000-000000000001';

describe('separatingStream', () => {
  it('finds none for two tenants with the same partition for every name', () => {
    const alike = '6f1c2a8e-0000-4000-8000-000000000038';
    expect(range(64).every((k) => partitionOf(a, `web-${k}`) === partitionOf(alike, `web-${k}`))).toBe(true);
    expect(separatingStream(owners, a, alike)).toBeUndefined();
  });

  it('finds a name whose two partitions have different holders otherwise', () => {
    const b = '6f1c2a8e-0000-4000-8000-000000000002';
    const s = separatingStream(owners, a, b);
    expect(s).toBeDefined();
    expect(owners[partitionOf(a, s!)]).not.toBe(owners[partitionOf(b, s!)]);
  });
});
