// The parser ships no types: what its README documents (prom2json's shape).
declare module 'parse-prometheus-text-format' {
  export interface Sample { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }
  export interface MetricFamily { name: string; help: string; type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'; metrics: Sample[] }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
