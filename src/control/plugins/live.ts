// The live feed over HTTP: GET /api/v1/live answers Server-Sent Events, one `anomaly` event per
// anomaly as the engine stores it (src/control/live/hub.ts listens for the engine's NOTIFY).
//
//   livePlugin (global)  app.live: the LiveHub, LISTEN started at boot, closed with the app;
//                        with NATS_URL also app.live.nats: the findings read from dw.anomalies (live/nats.ts)
//   liveRoutesPlugin     GET /live ─▶ authenticate ─▶ hub.subscribe (cap per tenant: 429 DW_ERR_LIVE_LIMIT)
//                        ─▶ text/event-stream: `retry`, `event: ready`, then `event: anomaly` / `: ping`
//
// A connection lasts at most the access token's lifetime (the page reconnects with a fresh
// token) and is closed when the client reads too slowly (LIVE_MAX_BUFFERED bytes waiting).
import type { FastifyInstance } from 'fastify';
import { LiveHub } from '../live/hub.js';
import { NatsAnomalyFeed } from '../live/nats.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';

declare module 'fastify' {
  interface FastifyInstance { live: LiveHub }
}

export const LIVE_PING_MS = 20_000;
export const LIVE_MAX_BUFFERED = 1 << 20;

export const livePlugin = definePlugin(async function live(app: FastifyInstance): Promise<void> {
  const hub = new LiveHub(app.pool, app.log as never, { maxPerTenant: app.config.liveMaxConnectionsPerTenant });
  app.decorate('live', hub);
  await hub.start();
  const natsUrl = app.config.natsUrl;
  if (natsUrl !== undefined) {
    hub.nats = new NatsAnomalyFeed(natsUrl, hub, app.log as never);
    hub.nats.start();
  }
  app.addHook('preClose', async () => { await hub.nats?.close(); await hub.close(); });
}, { name: 'driftwatch-live', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'config'] } });

export const liveRoutesPlugin = definePlugin(async function liveRoutes(app: FastifyInstance): Promise<void> {
  const hub = app.live;
  const maxLifeMs = app.config.accessTokenTtlSeconds * 1000;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => { for (const end of [...open]) end(); });

  app.get('/live', {
    onRequest: authenticate({ scope: 'read' }),
    schema: {
      summary: "The tenant's anomalies as they are stored: Server-Sent Events (`event: anomaly`, data: the anomaly's JSON)",
      tags: ['anomalies'],
      response: { 200: { description: 'text/event-stream: `event: ready`, then `event: anomaly` (data: an anomaly) per stored anomaly, `: ping` comments', type: 'string' } },
    },
  }, async function liveFeed(req, reply) {
    const p = principalOf(req);
    let ended = false;
    const res = reply.raw;
    const send = (list: unknown[]): void => {
      if (ended) return;
      let chunk = '';
      for (const a of list) chunk += `event: anomaly\ndata: ${JSON.stringify(a)}\n\n`;
      res.write(chunk);
      if (res.writableLength > LIVE_MAX_BUFFERED) end();
    };
    // Throws DW_ERR_LIVE_LIMIT (429) before anything is written.
    const unsubscribe = hub.subscribe(p.tenantId, send);
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(ping);
      clearTimeout(life);
      open.delete(end);
      // Nothing follows the stream: the socket goes with it (a client that stopped reading would
      // otherwise hold a half-closed connection that the server's close() waits on).
      res.end(() => res.destroy());
    };
    open.add(end);
    const ping = setInterval(() => { if (!ended) res.write(': ping\n\n'); }, LIVE_PING_MS);
    const life = setTimeout(end, maxLifeMs);
    res.on('close', end);
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'close',
      'x-request-id': String(req.id),
    });
    res.write(`retry: 2000\nevent: ready\ndata: ${JSON.stringify({ listening: hub.listening })}\n\n`);
  });
}, {
  name: 'driftwatch-live-routes',
  dependencies: ['driftwatch-context', 'driftwatch-live'],
  decorators: { fastify: ['live', 'config', 'resolver', 'sessions'], request: ['principal'] },
});
