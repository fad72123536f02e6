// The public keys that verify access tokens, for other services (and the engine elsewhere).
import type { FastifyInstance } from 'fastify';
import { definePlugin } from './define.js';

export const jwksPlugin = definePlugin(async function jwks(app: FastifyInstance): Promise<void> {
  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'JSON Web Key Set of the access-token signing keys',
      tags: ['auth'],
      response: {
        200: {
          type: 'object',
          properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          required: ['keys'],
        },
      },
    },
  }, async function jwks(_req, reply) {
    // Short: a rotated key must reach verifiers well within an access token's lifetime.
    reply.header('cache-control', 'public, max-age=60');
    return app.tokens.jwks();
  });
}, { name: 'driftwatch-jwks', dependencies: ['driftwatch-context'], decorators: { fastify: ['tokens'] } });
