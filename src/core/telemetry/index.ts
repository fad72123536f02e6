// The telemetry kernel: typed events (event.ts), metrics in one registry per process
// (metrics.ts), the catalog of both (catalog.ts), and who may read /metrics (access.ts).
export { defineEvent, LogGate, TelemetryEvent, type EventSpec, type Level } from './event.js';
export { Collected, Counter, CounterChild, Histogram, METRICS_CONTENT_TYPE, metricsText, registry } from './metrics.js';
export { METRICS_PATH, metricsAccess } from './access.js';
export * from './catalog.js';
