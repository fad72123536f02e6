// Two control API instances sharing one Redis: the harness's (test/control/harness.ts) and a
// second app on the same database, under a key prefix of this run's (parallel runs on one Redis
// do not see each other's keys), with a Redis client of the test's own. Made in the caller's
// beforeAll; closed, and the prefix's keys deleted, in its afterAll.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { buildControlApp } from '../../src/control/app.js';
import type { Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startHarness, type Harness } from './harness.js';

export interface RedisPair {
  prefix: string;
  /** Set in beforeAll. */
  redis: Redis;
  h: Harness;
  second: FastifyInstance;
}

export function redisPair(redisUrl: string, overrides: Partial<Config>): RedisPair {
  const d = { prefix: `dw-test:${randomUUID()}:` } as RedisPair;
  beforeAll(async () => {
    d.redis = new Redis(redisUrl);
    d.h = await startHarness({ redisUrl, redisKeyPrefix: d.prefix, ...overrides });
    d.second = await buildControlApp({ config: d.h.config, pool: d.h.db.pool, tokens: d.h.tokens, log: silentLogger });
  });
  afterAll(async () => {
    await d.second?.close();
    await d.h?.close();
    if (d.redis !== undefined) {
      const keys = await d.redis.keys(`${d.prefix}*`);
      if (keys.length > 0) await d.redis.del(...keys);
      await d.redis.quit();
    }
  });
  return d;
}
