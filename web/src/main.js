// The dashboard: one page, hash routes, Preact + htm, uPlot for the stream chart.
//   #/signin #/signup  #/ (streams overview)  #/onboarding  #/stream/<name>  #/anomaly/<id>  #/account  #/alerts
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, live, refresh, session, signIn, signOut, signUp } from './api.js';
import { Err, enc, fmt, html, liveSubs, useLive, useLoad, when } from './ui.js';
import { AlertsPage } from './alerts.js';

// ---- routing and live events shared by the pages
function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.slice(1);
}
function useSession() {
  const [, set] = useState(0);
  useEffect(() => session.subscribe(() => set((n) => n + 1)), []);
  return session;
}

// ---- sign in / up
function AuthPage({ mode }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setBusy(true);
    try {
      if (mode === 'signup') await signUp(f.get('name'), f.get('email'), f.get('password'));
      else await signIn(f.get('email'), f.get('password'));
      location.hash = mode === 'signup' ? '#/onboarding' : '#/';
    } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return html`<main class="narrow">
    <h1>${mode === 'signup' ? 'Create your account' : 'Sign in'}</h1>
    <form onSubmit=${submit} class="stack">
      ${mode === 'signup' && html`<label>Name <input name="name" required autocomplete="name" /></label>`}
      <label>Email <input name="email" type="email" required autocomplete="email" /></label>
      <label>Password <input name="password" type="password" required minlength="8" autocomplete=${mode === 'signup' ? 'new-password' : 'current-password'} /></label>
      <button type="submit" disabled=${busy}>${mode === 'signup' ? 'Sign up' : 'Sign in'}</button>
      <${Err} error=${err} />
    </form>
    <p>${mode === 'signup' ? html`Have an account? <a href="#/signin">Sign in</a>` : html`New here? <a href="#/signup">Create an account</a>`}</p>
  </main>`;
}

// ---- streams overview
function Sparkline({ values }) {
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${(i * 100) / (values.length - 1 || 1)},${20 - (v / max) * 18}`).join(' ');
  return html`<svg class="spark" viewBox="0 0 100 20" preserveAspectRatio="none" aria-hidden="true"><polyline points=${pts} /></svg>`;
}
const COLUMNS = [['name', 'Stream'], ['stream_type', 'Type'], ['events_total', 'Events'], ['rate', 'Last hour'], ['anomalies_open', 'Open anomalies'], ['profile', 'Profile'], ['last_seen', 'Last event']];
function Overview() {
  const t0 = useMemo(() => performance.now(), []);
  const list = useLoad(() => api('GET', '/api/v1/streams'), []);
  const [sort, setSort] = useState({ key: 'anomalies_open', dir: -1 });
  const [flash, setFlash] = useState(null);
  useEffect(() => { const t = setInterval(() => void list.reload(), 30_000); return () => clearInterval(t); }, []);
  useLive((a) => {
    if (!list.data) return;
    const streams = list.data.streams.map((s) => (s.name === a.stream ? { ...s, anomalies_open: s.anomalies_open + 1 } : s));
    if (!streams.some((s) => s.name === a.stream)) void list.reload();
    else list.set({ streams });
    setFlash(a);
  });
  useEffect(() => { if (list.data) window.__dwRendered = { page: 'overview', ms: performance.now() - t0, at: performance.now() }; }, [list.data]);
  if (list.error) return html`<main><${Err} error=${list.error} /></main>`;
  if (!list.data) return html`<main><p>Loading…</p></main>`;
  const rows = [...list.data.streams].map((s) => ({ ...s, rate: s.rate_last_hour.reduce((a, b) => a + b, 0) }));
  rows.sort((a, b) => (a[sort.key] < b[sort.key] ? -sort.dir : a[sort.key] > b[sort.key] ? sort.dir : 0));
  const header = (k, label) => html`<th aria-sort=${sort.key === k ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
    <button class="link" onClick=${() => setSort({ key: k, dir: sort.key === k ? -sort.dir : -1 })}>${label}${sort.key === k ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`;
  return html`<main>
    <h1>Streams</h1>
    ${flash && html`<p class="live-note" role="status" data-testid="live-note">New anomaly on <a href=${`#/anomaly/${flash.id}`}>${flash.stream}</a>: ${flash.explanation}</p>`}
    ${rows.length === 0 ? html`<p>No events yet. <a href="#/onboarding">Send your first events</a>.</p>` : html`
    <div class="scroll"><table class="streams">
      <thead><tr>${COLUMNS.map(([k, l]) => header(k, l))}</tr></thead>
      <tbody>${rows.map((s) => html`<tr key=${s.name + s.stream_type}>
        <td><a href=${`#/stream/${enc(s.name)}`}>${s.name}</a>${s.muted_until ? html` <span class="tag">muted</span>` : ''}</td>
        <td>${s.stream_type}</td><td class="num">${fmt(s.events_total)}</td>
        <td><${Sparkline} values=${s.rate_last_hour} /> <span class="num">${fmt(s.rate)}</span></td>
        <td class=${s.anomalies_open > 0 ? 'num hot' : 'num'} data-testid="open">${fmt(s.anomalies_open)}</td>
        <td>${s.profile}</td><td>${when(s.last_seen)}</td></tr>`)}</tbody>
    </table></div>`}
  </main>`;
}

// ---- stream page
const RANGES = [['1 h', 3600e3], ['6 h', 6 * 3600e3], ['24 h', 86400e3], ['7 d', 7 * 86400e3]];
function Chart({ series, onZoom }) {
  const box = useRef(null);
  useEffect(() => {
    if (!series || !box.current) return;
    const metrics = series.points.some((p) => p.values > 0);
    const xs = series.points.map((p) => Date.parse(p.t) / 1000);
    const data = metrics
      ? [xs, series.points.map((p) => p.mean), series.points.map((p) => p.min), series.points.map((p) => p.max)]
      : [xs, series.points.map((p) => p.events)];
    const marks = series.anomalies.map((a) => Date.parse(a.t) / 1000);
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--fg').trim() || '#222';
    const accent = css.getPropertyValue('--accent').trim() || '#2563eb';
    const hot = css.getPropertyValue('--hot').trim() || '#dc2626';
    const opts = {
      width: box.current.clientWidth || 600, height: 280,
      scales: { x: { time: true, min: Date.parse(series.from) / 1000, max: Date.parse(series.to) / 1000 } },
      axes: [{ stroke: fg }, { stroke: fg }],
      series: metrics
        ? [{}, { label: 'mean', stroke: accent, width: 2 }, { label: 'min', stroke: accent, dash: [4, 4] }, { label: 'max', stroke: accent, dash: [4, 4] }]
        : [{}, { label: 'events / bucket', stroke: accent, fill: accent + '33', width: 2 }],
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = hot;
          ctx.lineWidth = 2 * devicePixelRatio;
          for (const t of marks) {
            const x = u.valToPos(t, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          }
          ctx.restore();
        }],
        setSelect: [(u) => {
          if (u.select.width < 5) return;
          const a = u.posToVal(u.select.left, 'x');
          const b = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, width: 0 }, false);
          onZoom(a * 1000, b * 1000);
        }],
      },
      cursor: { drag: { x: true, y: false, setScale: false } },
    };
    const plot = new uPlot(opts, data, box.current);
    box.current.dataset.markers = String(marks.length);
    const el = box.current;
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 280 }));
    ro.observe(box.current);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [series]);
  return html`<div class="chart" ref=${box} data-testid="chart" aria-label="events over time, anomalies marked in red"></div>`;
}
function StreamPage({ name }) {
  const t0 = useMemo(() => performance.now(), [name]);
  const [range, setRange] = useState(() => { const to = Date.now(); return { from: to - 3600e3, to }; });
  const series = useLoad(() => api('GET', `/api/v1/streams/${enc(name)}/series?from=${Math.round(range.from)}&to=${Math.round(range.to)}`), [name, range.from, range.to]);
  const [msg, setMsg] = useState(null);
  useLive((a) => { if (a.stream === name) void series.reload(); });
  useEffect(() => { if (series.data) window.__dwRendered = { page: 'stream', ms: performance.now() - t0, at: performance.now() }; }, [series.data]);
  const span = range.to - range.from;
  const pan = (k) => setRange({ from: range.from + k * span / 2, to: range.to + k * span / 2 });
  const zoomOut = () => setRange({ from: range.from - span / 2, to: Math.min(Date.now(), range.to + span / 2) });
  const mute = async () => { await api('POST', `/api/v1/streams/${enc(name)}/mute`, { minutes: 60 }); setMsg('Muted for an hour: no alerts for this stream until then.'); };
  const del = async () => {
    if (!confirm(`Delete the stream ${name} with all its events and anomalies?`)) return;
    await api('DELETE', `/api/v1/streams/${enc(name)}`);
    location.hash = '#/';
  };
  return html`<main>
    <p><a href="#/">← Streams</a></p>
    <h1>${name} ${series.data?.stream_type ? html`<span class="tag">${series.data.stream_type}</span>` : ''}</h1>
    <div class="toolbar" role="toolbar" aria-label="range">
      ${RANGES.map(([l, ms]) => html`<button onClick=${() => { const to = Date.now(); setRange({ from: to - ms, to }); }}>${l}</button>`)}
      <button onClick=${() => pan(-1)} aria-label="pan left">←</button><button onClick=${() => pan(1)} aria-label="pan right">→</button>
      <button onClick=${zoomOut}>zoom out</button>
      <span class="muted">${new Date(range.from).toLocaleString()} – ${new Date(range.to).toLocaleString()} (drag on the chart to zoom)</span>
    </div>
    <${Err} error=${series.error} />
    <div class="split">
      <section class="grow"><${Chart} series=${series.data} onZoom=${(a, b) => setRange({ from: a, to: b })} /></section>
      <aside>
        <h2>Anomalies in range (${fmt(series.data?.anomalies_in_range)})</h2>
        <ul class="anoms" data-testid="range-anomalies">${(series.data?.anomalies ?? []).slice(0, 200).map((a) => html`<li key=${a.id}>
          <a href=${`#/anomaly/${a.id}`}>${new Date(a.t).toLocaleTimeString()} · ${a.score.toFixed(2)}</a> <span class="tag">${a.status}</span><br /><small>${a.explanation}</small></li>`)}</ul>
      </aside>
    </div>
    <p class="toolbar"><button onClick=${mute}>Mute 1 h</button> <button class="danger" onClick=${del}>Delete stream</button></p>
    ${msg && html`<p role="status">${msg}</p>`}
  </main>`;
}

// ---- anomaly page
function AnomalyPage({ id }) {
  const a = useLoad(() => api('GET', `/api/v1/anomalies/${id}`), [id]);
  const inc = useLoad(() => (a.data?.incident_id ? api('GET', `/api/v1/incidents/${a.data.incident_id}?limit=5`).catch(() => null) : Promise.resolve(null)), [a.data?.incident_id]);
  const [settings, setSettings] = useState(null);
  const [around, setAround] = useState(null);
  const [err, setErr] = useState(null);
  useEffect(() => {
    if (!a.data) return;
    void api('GET', `/api/v1/streams/${enc(a.data.stream)}/settings`).then(setSettings, setErr);
    const t = Date.parse(a.data.event_ts ?? a.data.detected_at);
    // Newest first: the flagged event and the 10 before it, then the 10 oldest after it.
    const q = (since, until, limit) => api('GET', `/api/v1/events?stream=${enc(a.data.stream)}&since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}&limit=${limit}`);
    void Promise.all([q(t - 3600e3, t + 1, 11), q(t + 1, t + 600e3, 200)])
      .then(([before, after]) => setAround([...after.events.slice(-10), ...before.events]), () => setAround([]));
  }, [a.data]);
  if (a.error) return html`<main><${Err} error=${a.error} /></main>`;
  if (!a.data) return html`<main><p>Loading…</p></main>`;
  const x = a.data;
  const act = async (fn) => { try { await fn(); } catch (e) { setErr(e); } };
  const feedback = (f) => act(async () => { const r = await api('POST', `/api/v1/anomalies/${id}/feedback`, { feedback: f }); a.set(r.anomaly); setSettings(r.stream_settings); });
  const pvalue = x.details?.p_value ?? x.details?.pvalue ?? x.details?.p;
  return html`<main>
    <p><a href=${`#/stream/${enc(x.stream)}`}>← ${x.stream}</a></p>
    <h1>Anomaly <span class="tag">${x.status}</span></h1>
    <p class="explanation">${x.explanation}</p>
    <dl class="facts"><dt>Score</dt><dd data-testid="score">${x.score.toFixed(3)}</dd><dt>p-value</dt><dd>${pvalue === undefined ? '–' : Number(pvalue).toPrecision(3)}</dd>
      <dt>Detector</dt><dd>${x.detector}</dd><dt>Event time</dt><dd>${when(x.event_ts)}</dd><dt>Detected</dt><dd>${when(x.detected_at)}</dd>
      ${x.details?.count !== undefined && html`<dt>Incident</dt><dd>${fmt(x.details.count)} lines</dd>`}</dl>
    ${inc.data && inc.data.incident.count > 1 && html`<section data-testid="incident"><h2>Incident: ${fmt(inc.data.incident.count)} lines</h2>
      <p class="muted">${inc.data.incident.summary} (${inc.data.incident.detector}; alerts notify once per incident). The first ${inc.data.lines.length}:</p>
      <ol class="around">${inc.data.lines.map((m) => html`<li class=${m.id === x.id ? 'hit' : ''}><a href=${`#/anomaly/${m.id}`}>${m.score.toFixed(2)}</a> <code>${typeof m.event?.data === 'string' ? m.event.data : JSON.stringify(m.event?.data ?? m.event)}</code></li>`)}</ol></section>`}
    <h2>Flagged event</h2><pre class="flagged">${JSON.stringify(x.event?.data ?? x.event, null, 1)}</pre>
    <h2>Events around it</h2>
    ${around === null ? html`<p>Loading…</p>` : html`<ol class="around">${[...around].reverse().map((e) => html`<li class=${JSON.stringify(e.data) === JSON.stringify(x.event?.data) ? 'hit' : ''}><small>${new Date(e.timestamp).toLocaleTimeString()}</small> <code>${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}</code></li>`)}</ol>`}
    <div class="toolbar">
      <button onClick=${() => feedback('false_positive')}>False positive</button>
      <button onClick=${() => feedback('confirmed')}>Confirmed</button>
      <button onClick=${() => act(async () => a.set(await api('PUT', `/api/v1/anomalies/${id}/resolve`)))}>Resolve</button>
      <button class="danger" onClick=${() => act(async () => { await api('DELETE', `/api/v1/anomalies/${id}`); location.hash = `#/stream/${enc(x.stream)}`; })}>Delete</button>
    </div>
    ${settings && html`<p data-testid="threshold">Stream threshold: <strong>${settings.threshold.toFixed(2)}</strong> (profile ${settings.profile}, feedback offset ${settings.threshold_offset >= 0 ? '+' : ''}${settings.threshold_offset.toFixed(2)})</p>
      <label>Profile <select value=${settings.profile} onChange=${(e) => act(async () => setSettings(await api('PUT', `/api/v1/streams/${enc(x.stream)}/settings`, { profile: e.target.value })))}>
        <option value="sensitive">sensitive</option><option value="balanced">balanced</option><option value="strict">strict</option></select></label>`}
    <${Err} error=${err} />
  </main>`;
}

// ---- onboarding
function Onboarding() {
  const cfg = useLoad(() => fetch('/app-config.json').then((r) => r.json()), []);
  const [key, setKey] = useState(null);
  const [err, setErr] = useState(null);
  const [got, setGot] = useState(false);
  useEffect(() => {
    const t = setInterval(async () => {
      try { const r = await api('GET', '/api/v1/streams'); if (r.streams.some((s) => s.events_total > 0)) { setGot(true); clearInterval(t); } } catch { /* retry */ }
    }, 2000);
    return () => clearInterval(t);
  }, []);
  const create = async () => { try { setKey((await api('POST', '/api/v1/api-keys', { name: 'onboarding' })).key); } catch (e) { setErr(e); } };
  const eng = cfg.data?.engine_url ?? '';
  const k = key ?? '<your API key>';
  const snippets = [
    ['curl', `curl -X POST ${eng}/api/v1/events/ingest \\\n  -H 'Authorization: Bearer ${k}' -H 'Content-Type: application/json' \\\n  -d '[{"timestamp": "'$(date -u +%FT%TZ)'", "stream_type": "logs", "stream": "web", "data": "GET /health 200"}]'`],
    ['OpenTelemetry SDK (logs over OTLP/HTTP)', `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=${eng}/v1/logs\nOTEL_EXPORTER_OTLP_LOGS_HEADERS="Authorization=Bearer ${k}"\nOTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf\nOTEL_SERVICE_NAME=web`],
    ['syslog-ng', `destination d_driftwatch {\n  http(url("${eng}/api/v1/events/ingest")\n       method("POST")\n       headers("Authorization: Bearer ${k}", "Content-Type: application/x-ndjson")\n       body('{"timestamp":"$ISODATE","stream_type":"logs","stream":"$PROGRAM","data":"$(format-json --scope nv_pairs MESSAGE)"}'));\n};\nlog { source(s_src); destination(d_driftwatch); };`],
  ];
  return html`<main>
    <h1>Send your first events</h1>
    <p class=${got ? 'status ok' : 'status'} data-testid="first-event" role="status">${got ? '✓ Events are arriving. ' : 'Waiting for the first event…'}${got ? html`<a href="#/">See your streams</a>` : ''}</p>
    ${key ? html`<p>Your API key (shown once; copy it now): <code data-testid="api-key">${key}</code></p>` : html`<button onClick=${create}>Create an API key</button>`}
    <${Err} error=${err} />
    ${snippets.map(([t, s]) => html`<section><h2>${t}</h2><pre>${s}</pre><button onClick=${() => navigator.clipboard?.writeText(s)}>Copy</button></section>`)}
  </main>`;
}

// ---- account
function Account() {
  const keys = useLoad(() => api('GET', '/api/v1/api-keys'), []);
  const usage = useLoad(() => api('GET', '/api/v1/usage'), []);
  const plans = useLoad(() => api('GET', '/api/v1/billing/plans'), []);
  const vm = useLoad(() => api('GET', '/api/v1/vm/status'), []);
  const owner = session.user?.role === 'owner' || session.user?.role === 'admin';
  const audit = useLoad(() => (owner ? api('GET', '/api/v1/audit?limit=20') : Promise.resolve(null)), [owner]);
  const [shown, setShown] = useState(null);
  const [err, setErr] = useState(null);
  const act = async (fn) => { try { await fn(); } catch (e) { setErr(e); } };
  const u = usage.data;
  const pct = u && u.events_limit ? Math.min(100, (100 * u.events) / u.events_limit) : 0;
  return html`<main>
    <h1>Account</h1>
    <${Err} error=${err} />
    <section><h2>Usage this month</h2>
      ${u && html`<p>${fmt(u.events)} events of ${u.events_limit === null ? 'unlimited' : fmt(u.events_limit)} (${u.plan} plan)</p>
      <div class="bar" role="progressbar" aria-valuenow=${Math.round(pct)} aria-valuemin="0" aria-valuemax="100"><span style=${{ width: `${pct}%` }} class=${pct >= 80 ? 'hot' : ''}></span></div>`}
    </section>
    <section><h2>Plan</h2>
      ${plans.data && (plans.data.billing_enabled
        ? html`<p>${(plans.data.plans ?? []).filter((p) => p.id !== 'free').map((p) => html`<button onClick=${() => act(async () => { location.href = (await api('POST', '/api/v1/billing/checkout', { plan: p.id })).url; })}>Upgrade to ${p.name ?? p.id}</button> `)}</p>`
        : html`<p class="muted">Billing is not configured on this server (STRIPE_SECRET_KEY unset): plans are changed by the operator.</p>`)}
    </section>
    <section><h2>API keys</h2>
      <button onClick=${() => act(async () => { const r = await api('POST', '/api/v1/api-keys', { name: 'dashboard' }); setShown(r.key); await keys.reload(); })}>Create an API key</button>
      ${shown && html`<p>New key (shown once): <code data-testid="new-key">${shown}</code></p>`}
      <ul>${(keys.data?.api_keys ?? keys.data?.keys ?? []).map((k) => html`<li key=${k.id}>${k.name ?? k.id} <small>${k.prefix ?? ''} ${(k.scopes ?? []).join(', ')}</small>
        ${k.revoked_at ? html` <span class="tag">revoked</span>` : html` <button class="danger" onClick=${() => act(async () => { await api('DELETE', `/api/v1/api-keys/${k.id}`); await keys.reload(); })}>Revoke</button>`}</li>`)}</ul>
    </section>
    <section><h2>Engine VM</h2><p>${vm.data?.machine ? `${vm.data.machine.state} · ${vm.data.machine.address ?? ''}` : 'None: this tenant uses the shared engine.'}</p></section>
    ${audit.data && html`<section><h2>Audit log</h2><table><tbody>${(audit.data.entries ?? audit.data.audit ?? []).map((e) => html`<tr><td>${when(e.created_at)}</td><td>${e.action}</td><td>${e.target ?? ''}</td><td>${e.ip ?? ''}</td></tr>`)}</tbody></table></section>`}
  </main>`;
}

// ---- shell
function App() {
  const route = useRoute();
  const s = useSession();
  const [ready, setReady] = useState(false);
  const [liveOn, setLiveOn] = useState(false);
  useEffect(() => { void refresh().finally(() => setReady(true)); }, []);
  useEffect(() => (s.signedIn ? live((a) => { for (const f of liveSubs) f(a); }, setLiveOn) : undefined), [s.signedIn]);
  if (!ready) return html`<main><p>Loading…</p></main>`;
  const open = route === '/signin' || route === '/signup';
  if (!s.signedIn && !open) { location.hash = '#/signin'; return null; }
  let page;
  if (route === '/signup') page = html`<${AuthPage} mode="signup" />`;
  else if (route === '/signin') page = html`<${AuthPage} mode="signin" />`;
  else if (route === '/onboarding') page = html`<${Onboarding} />`;
  else if (route === '/account') page = html`<${Account} />`;
  else if (route === '/alerts') page = html`<${AlertsPage} />`;
  else if (route.startsWith('/stream/')) page = html`<${StreamPage} name=${decodeURIComponent(route.slice(8))} key=${route} />`;
  else if (route.startsWith('/anomaly/')) page = html`<${AnomalyPage} id=${route.slice(9)} key=${route} />`;
  else page = html`<${Overview} />`;
  return html`<div>
    <header><a class="brand" href="#/">driftwatch</a>
      ${s.signedIn && html`<nav><a href="#/">Streams</a><a href="#/onboarding">Send data</a><a href="#/alerts">Alerts</a><a href="#/account">Account</a>
        <span class=${liveOn ? 'dot on' : 'dot'} title=${liveOn ? 'live' : 'offline'} data-testid="live-dot"></span>
        <button class="link" onClick=${async () => { await signOut(); location.hash = '#/signin'; }}>Sign out</button></nav>`}
    </header>
    ${page}
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
