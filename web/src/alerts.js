// The Alerts page (#/alerts): channels (create, send test, delete), rules (create, edit,
// delete) and the delivery log. Owners and admins only (the routes refuse others).
// Every control is a form field or a button; the log reloads when an anomaly is pushed.
import { useState } from 'preact/hooks';
import { api, session } from './api.js';
import { Err, html, useLive, useLoad, when } from './ui.js';

const localZone = () => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; } };

function ChannelForm({ onCreated, setErr }) {
  const [kind, setKind] = useState('webhook');
  const [secret, setSecret] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { kind, name: f.get('name'), system_alerts: f.get('system_alerts') === 'on' };
    if (kind === 'email') body.email = f.get('target'); else body.url = f.get('target');
    try {
      const ch = await api('POST', '/api/v1/alerts/channels', body);
      setSecret(ch.secret ? { name: ch.name, secret: ch.secret } : null);
      e.target.reset();
      await onCreated(ch);
    } catch (x) { setErr(x); }
  };
  return html`<form class="toolbar" onSubmit=${submit} aria-label="New channel">
    <label>Kind <select name="kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
      <option value="webhook">Webhook (signed)</option><option value="slack">Slack incoming webhook</option><option value="email">Email</option></select></label>
    <label>Name <input name="name" required maxLength="100" placeholder="on-call" /></label>
    <label>${kind === 'email' ? 'Address' : 'URL'} <input name="target" required type=${kind === 'email' ? 'email' : 'url'}
      placeholder=${kind === 'email' ? 'ops@example.com' : kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/hooks/driftwatch'} /></label>
    <label class="check"><input type="checkbox" name="system_alerts" defaultChecked /> Quota and VM alerts too</label>
    <button type="submit">Add channel</button>
    ${secret && html`<p class="status" role="status">Signing secret of ${secret.name} (shown once; copy it now): <code data-testid="webhook-secret">${secret.secret}</code></p>`}
  </form>`;
}

function Channels({ channels, reload, reloadLog, setErr }) {
  const act = async (fn) => { try { await fn(); } catch (x) { setErr(x); } };
  return html`<section><h2>Channels</h2>
    <${ChannelForm} onCreated=${reload} setErr=${setErr} />
    <div class="scroll"><table><thead><tr><th>Name</th><th>Kind</th><th>Target</th><th>System alerts</th><th></th></tr></thead><tbody>
      ${channels.map((c) => html`<tr key=${c.id}><td>${c.name}</td><td>${c.kind}</td><td>${c.target}</td><td>${c.system_alerts ? 'yes' : 'no'}</td>
        <td><button onClick=${() => act(async () => { await api('POST', `/api/v1/alerts/channels/${c.id}/test`); await reloadLog(); })}>Send test</button>
          ${' '}<button class="danger" aria-label=${`Delete channel ${c.name}`} onClick=${() => act(async () => { if (confirm(`Delete channel ${c.name}?`)) { await api('DELETE', `/api/v1/alerts/channels/${c.id}`); await reload(); } })}>Delete</button></td></tr>`)}
    </tbody></table></div>
    ${channels.length === 0 && html`<p class="muted">No channel yet.</p>`}
  </section>`;
}

// The form fields are uncontrolled (defaultValue, defaultChecked): the page re-renders whenever a
// list reloads (a save, a pushed anomaly reading the delivery log again), and a `value` prop
// would put back the initial value over what the user had typed (a rule's name emptied just
// before "Add rule", which the browser then refused as a required field left empty).
function RuleForm({ channels, rule, onSaved, onCancel, setErr }) {
  const q = rule?.quiet_hours;
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const streams = String(f.get('streams') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const start = f.get('quiet_start');
    const end = f.get('quiet_end');
    const body = {
      name: f.get('name'), streams: streams.length === 0 ? null : streams, min_score: Number(f.get('min_score')),
      channel_ids: f.getAll('channel'), enabled: f.get('enabled') === 'on',
      quiet_hours: start && end ? { start, end, time_zone: f.get('time_zone') || 'UTC' } : null,
    };
    try {
      if (rule) await api('PUT', `/api/v1/alerts/rules/${rule.id}`, body); else await api('POST', '/api/v1/alerts/rules', body);
      if (!rule) e.target.reset();
      await onSaved();
    } catch (x) { setErr(x); }
  };
  return html`<form class="stack rule" onSubmit=${submit} aria-label=${rule ? `Edit rule ${rule.name}` : 'New rule'}>
    <div class="toolbar">
      <label>Name <input name="name" required maxLength="100" defaultValue=${rule?.name ?? ''} /></label>
      <label>Streams <input name="streams" placeholder="all (or: api, db-*)" defaultValue=${(rule?.streams ?? []).join(', ')} /></label>
      <label>Minimum score <input name="min_score" type="number" min="0" max="1" step="0.05" defaultValue=${rule?.min_score ?? 0.5} /></label>
      <label class="check"><input type="checkbox" name="enabled" defaultChecked=${rule ? rule.enabled : true} /> Enabled</label>
    </div>
    <fieldset><legend>Channels</legend>${channels.map((c) => html`<label class="check" key=${c.id}><input type="checkbox" name="channel" value=${c.id} defaultChecked=${rule ? rule.channel_ids.includes(c.id) : channels.length === 1} /> ${c.name} (${c.kind})</label>`)}</fieldset>
    <div class="toolbar">
      <label>Quiet from <input name="quiet_start" type="time" defaultValue=${q?.start ?? ''} /></label>
      <label>until <input name="quiet_end" type="time" defaultValue=${q?.end ?? ''} /></label>
      <label>Time zone <input name="time_zone" defaultValue=${q?.time_zone ?? localZone()} /></label>
    </div>
    <div class="toolbar"><button type="submit">${rule ? 'Save rule' : 'Add rule'}</button>${rule && html`<button type="button" onClick=${onCancel}>Cancel</button>`}</div>
  </form>`;
}

function Rules({ channels, rules, reload, setErr }) {
  const [editing, setEditing] = useState(null);
  const name = (id) => channels.find((c) => c.id === id)?.name ?? '(deleted)';
  const del = async (r) => { try { if (confirm(`Delete rule ${r.name}?`)) { await api('DELETE', `/api/v1/alerts/rules/${r.id}`); await reload(); } } catch (x) { setErr(x); } };
  return html`<section><h2>Rules</h2>
    ${channels.length === 0 ? html`<p class="muted">Add a channel first.</p>` : html`<${RuleForm} channels=${channels} onSaved=${reload} setErr=${setErr} />`}
    <ul class="rules">${rules.map((r) => html`<li key=${r.id}>
      ${editing === r.id
        ? html`<${RuleForm} channels=${channels} rule=${r} setErr=${setErr} onCancel=${() => setEditing(null)} onSaved=${async () => { setEditing(null); await reload(); }} />`
        : html`<strong>${r.name}</strong>${r.enabled ? '' : html` <span class="tag">off</span>`}: ${r.streams === null ? 'all streams' : r.streams.join(', ')}, score ≥ ${r.min_score}
          → ${r.channel_ids.map(name).join(', ') || 'no channel'}${r.quiet_hours ? `; quiet ${r.quiet_hours.start}–${r.quiet_hours.end} ${r.quiet_hours.time_zone}` : ''}
          ${' '}<button onClick=${() => setEditing(r.id)}>Edit</button> <button class="danger" onClick=${() => del(r)}>Delete</button>`}
    </li>`)}</ul>
  </section>`;
}

function Log({ log }) {
  const rows = log.data?.deliveries ?? [];
  return html`<section><h2>Delivery log</h2>
    <div class="toolbar"><button onClick=${() => log.reload()}>Refresh</button></div>
    <div class="scroll"><table data-testid="delivery-log"><thead><tr><th>When</th><th>Channel</th><th>Event</th><th>Status</th><th class="num">Attempts</th><th class="num">Code</th><th>Error</th></tr></thead><tbody>
      ${rows.map((d) => html`<tr key=${d.id}><td>${when(d.created_at)}</td><td>${d.channel_name} <small>${d.channel_kind}</small></td><td title=${d.title}>${d.event}</td>
        <td class=${d.status === 'failed' ? 'hot' : ''}>${d.status}${d.next_attempt_at ? html` <small>retry ${when(d.next_attempt_at)}</small>` : ''}</td>
        <td class="num">${d.attempts}</td><td class="num">${d.response_code ?? ''}</td><td>${d.last_error ?? ''}</td></tr>`)}
    </tbody></table></div>
    ${rows.length === 0 && html`<p class="muted">Nothing sent yet.</p>`}
  </section>`;
}

export function AlertsPage() {
  const admin = session.user?.role === 'owner' || session.user?.role === 'admin';
  const channels = useLoad(() => (admin ? api('GET', '/api/v1/alerts/channels') : Promise.resolve({ channels: [] })), [admin]);
  const rules = useLoad(() => (admin ? api('GET', '/api/v1/alerts/rules') : Promise.resolve({ rules: [] })), [admin]);
  const log = useLoad(() => (admin ? api('GET', '/api/v1/alerts/deliveries?limit=50') : Promise.resolve({ deliveries: [] })), [admin]);
  const [err, setErr] = useState(null);
  // A pushed anomaly may have queued a notification: read the log again shortly after.
  useLive(() => { setTimeout(() => { void log.reload(); }, 1000); });
  if (!admin) return html`<main><h1>Alerts</h1><p class="muted">Only the tenant's owners and admins set up alerts.</p></main>`;
  const list = channels.data?.channels ?? [];
  return html`<main>
    <h1>Alerts</h1>
    <p class="muted">One notification per incident (related anomalies of a stream that detection folds together); quota (80%, 100%) and engine VM alerts go to channels with system alerts on.</p>
    <${Err} error=${err ?? channels.error ?? rules.error ?? log.error} />
    <${Channels} channels=${list} reload=${async () => { await channels.reload(); await rules.reload(); }} reloadLog=${() => log.reload()} setErr=${setErr} />
    <${Rules} channels=${list} rules=${rules.data?.rules ?? []} reload=${() => rules.reload()} setErr=${setErr} />
    <${Log} log=${log} />
  </main>`;
}
