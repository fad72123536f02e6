// What fastify-plugin does, without the dependency: a plugin states its name, the plugins it
// depends on and the decorators it needs, and fastify checks them when it is registered
// (lib/plugin-utils.js: checkDependencies, checkDecorators). `global: true` sets
// skip-override, so that the plugin decorates (or sets handlers on) the instance that
// registers it instead of an encapsulated child.
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  // Route documentation, read by the OpenAPI generator to come (issue 5); never validated.
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
}

export interface PluginMeta {
  name: string;
  dependencies?: readonly string[];
  decorators?: { fastify?: readonly string[]; request?: readonly string[]; reply?: readonly string[] };
  /** Decorate the parent instead of an encapsulated child (skip-override). */
  global?: boolean;
}

export type ControlPlugin<O> = (app: FastifyInstance, opts: O) => Promise<void>;

export function definePlugin<O>(fn: ControlPlugin<O>, meta: PluginMeta): ControlPlugin<O> {
  const target = fn as ControlPlugin<O> & Record<symbol, unknown>;
  target[Symbol.for('skip-override')] = meta.global === true;
  target[Symbol.for('plugin-meta')] = {
    name: meta.name,
    dependencies: [...(meta.dependencies ?? [])],
    decorators: {
      fastify: [...(meta.decorators?.fastify ?? [])],
      request: [...(meta.decorators?.request ?? [])],
      reply: [...(meta.decorators?.reply ?? [])],
    },
  };
  target[Symbol.for('fastify.display-name')] = meta.name;
  return fn;
}
