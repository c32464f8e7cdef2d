// #/servers: the registered upstream servers and the form to register one.
// #/servers/<id>: one server, its discovery, and its tool catalog with review actions.
import { h, field, onSubmit, time, replace, confirmAction } from '../dom.js';
import { can } from '../roles.js';
import { pagedRows, table } from '../list.js';

export async function render(root, ctx) {
  if (ctx.params.id) return renderServer(root, ctx, ctx.params.id);
  root.append(h('h1', {}, 'Servers'));
  const tbody = h('tbody');
  root.append(table(['Name', 'URL', 'Status', 'Last discovery'], tbody));
  root.append(await pagedRows(ctx, '/v1/servers', {}, tbody, server => h('tr', {},
    h('td', {}, h('a', { href: `#/servers/${server.id}` }, server.name)),
    h('td', { class: 'mono' }, server.url),
    h('td', {}, statusBadge(server)),
    h('td', {}, time(server.last_discovered_at))), { empty: 'No server registered yet.', columns: 4 }));
  if (can(ctx.member, 'administer')) root.append(registerForm(ctx));
}

function statusBadge(server) {
  const kind = server.status === 'active' ? 'ok' : 'bad';
  return [h('span', { class: `badge ${kind}` }, server.status), server.status_detail ? h('div', { class: 'hint' }, server.status_detail) : null];
}

function registerForm(ctx) {
  const authType = h('select', { name: 'type', 'data-pointer': '/auth/type' },
    ['none', 'bearer', 'headers'].map(t => h('option', { value: t }, t)));
  const token = h('input', { name: 'token', type: 'password', autocomplete: 'off', 'data-pointer': '/auth/token' });
  const headers = h('textarea', { name: 'headers', rows: 3, placeholder: 'X-Api-Key: …', 'data-pointer': '/auth/headers' });
  const tokenField = field('Bearer token', token);
  const headersField = field('Headers (one "Name: value" a line)', headers);
  const showAuth = () => { tokenField.hidden = authType.value !== 'bearer'; headersField.hidden = authType.value !== 'headers'; };
  authType.addEventListener('change', showAuth);
  const timeout = (name, label) => field(label, h('input', { name, type: 'number', min: 1, max: 3600000, inputmode: 'numeric', 'data-pointer': `/timeouts/${name}` }));
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'register-title' },
    h('h2', { id: 'register-title' }, 'Register a server'),
    h('div', { class: 'row' },
      field('Name', h('input', { name: 'name', required: true })),
      field('URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://mcp.example.com/mcp' }))),
    field('Description', h('input', { name: 'description' })),
    h('div', { class: 'row' }, field('Authentication', authType), tokenField, headersField),
    h('details', {}, h('summary', {}, 'Timeouts (ms)'),
      h('div', { class: 'row' }, timeout('connect_ms', 'Connect'), timeout('first_byte_ms', 'First byte'), timeout('idle_ms', 'Idle'))),
    h('button', { type: 'submit', class: 'primary' }, 'Register and discover'));
  showAuth();
  onSubmit(form, async data => {
    const body = { name: data.get('name'), url: data.get('url') };
    if (data.get('description')) body.description = data.get('description');
    body.auth = { type: authType.value };
    if (authType.value === 'bearer') body.auth.token = data.get('token');
    if (authType.value === 'headers') {
      body.auth.headers = Object.fromEntries(String(data.get('headers')).split('\n').filter(l => l.trim())
        .map(line => { const at = line.indexOf(':'); return [line.slice(0, at).trim(), line.slice(at + 1).trim()]; }));
    }
    const timeouts = {};
    for (const name of ['connect_ms', 'first_byte_ms', 'idle_ms']) if (data.get(name)) timeouts[name] = Number(data.get(name));
    if (Object.keys(timeouts).length) body.timeouts = timeouts;
    const server = await ctx.api('POST', '/v1/servers', body);
    ctx.navigate(`#/servers/${server.id}`);
  });
  return form;
}

async function renderServer(root, ctx, id) {
  const server = await ctx.api('GET', `/v1/servers/${id}`);
  const info = h('dl', { class: 'card' },
    h('dt', {}, 'URL'), h('dd', { class: 'mono' }, server.url),
    h('dt', {}, 'Authentication'), h('dd', {}, server.auth?.type || 'none'),
    h('dt', {}, 'Status'), h('dd', {}, statusBadge(server)),
    h('dt', {}, 'Last discovery'), h('dd', {}, time(server.last_discovered_at)));
  const discoveryResult = h('p', { role: 'status' });
  const actions = h('div', { class: 'actions' });
  if (can(ctx.member, 'managePolicies')) {
    actions.append(h('button', { type: 'button', onclick: async () => {
      discoveryResult.textContent = 'Discovering…';
      try {
        const result = await ctx.api('POST', `/v1/servers/${id}/discover`);
        const d = result.discovery;
        discoveryResult.textContent = d ? `Listed ${d.listed}: ${d.added} added, ${d.changed} changed, ${d.removed} removed.`
          : `Discovery failed: ${result.server.status_detail || result.server.status}`;
        await renderCatalog(catalog, ctx, id);
      } catch (error) { discoveryResult.textContent = error.message; }
    } }, 'Re-discover'));
  }
  if (can(ctx.member, 'administer')) {
    actions.append(h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirmAction(`Delete ${server.name} with its catalog and grants?`)) return;
      await ctx.api('DELETE', `/v1/servers/${id}`);
      ctx.navigate('#/servers');
    } }, 'Delete server'));
  }
  const catalog = h('section', { 'aria-labelledby': 'catalog-title' });
  root.append(h('p', {}, h('a', { href: '#/servers' }, '← Servers')), h('h1', {}, server.name), info, actions, discoveryResult, catalog);
  await renderCatalog(catalog, ctx, id);
}

const RISK_CLASSES = ['read', 'write', 'execute', 'destructive', 'financial'];

async function renderCatalog(section, ctx, serverID) {
  const tbody = h('tbody');
  replace(section, h('h2', { id: 'catalog-title' }, 'Tools'), table(['Tool', 'Risk', 'Definition', 'Review'], tbody));
  section.append(await pagedRows(ctx, `/v1/servers/${serverID}/tools`, {}, tbody,
    tool => toolRow(ctx, serverID, tool, () => renderCatalog(section, ctx, serverID)), { empty: 'No tools discovered.', columns: 4 }));
}

function toolRow(ctx, serverID, tool, refresh) {
  const admin = can(ctx.member, 'administer');
  const review = h('div', { class: 'actions' });
  const message = h('span', { class: 'field-error', role: 'alert' });
  const patch = async body => {
    try { await ctx.api('PATCH', `/v1/servers/${serverID}/tools/${encodeURIComponent(tool.name)}`, body); await refresh(); }
    catch (error) { message.textContent = error.message; }
  };
  if (admin && !tool.approved && !tool.removed_at) {
    review.append(h('button', { type: 'button', class: 'primary', onclick: () => patch({ approve_hash: tool.definition_hash }) }, 'Approve definition'));
  }
  if (admin) {
    const select = h('select', { name: 'risk_override', 'aria-label': `Risk class of ${tool.name}` },
      h('option', { value: '' }, 'automatic'),
      RISK_CLASSES.map(c => h('option', { value: c, selected: tool.risk.source === 'override' && tool.risk.class === c }, c)));
    select.addEventListener('change', () => patch({ risk_override: select.value ? { class: select.value } : null }));
    review.append(h('label', {}, 'Override ', select));
  }
  return h('tr', { dataset: { tool: tool.name } },
    h('td', {}, h('strong', { class: 'mono' }, tool.name), tool.removed_at ? h('span', { class: 'badge' }, 'removed') : null,
      h('div', {}, tool.description || ''),
      tool.findings.map(f => h('div', { class: 'finding' }, `⚠ ${f.kind} at ${f.where}: `, h('code', {}, f.excerpt)))),
    h('td', {}, h('span', { class: 'badge' }, `${tool.risk.class} · ${tool.risk.severity}`),
      h('div', { class: 'hint' }, tool.risk.rationale, ` (${tool.risk.source})`)),
    h('td', {}, tool.approved ? h('span', { class: 'badge ok' }, 'approved') : h('span', { class: 'badge bad' }, 'not approved'),
      tool.diff ? diffTable(tool.diff) : null),
    h('td', {}, review, message));
}

function diffTable(diff) {
  return h('table', { class: 'diff' }, h('caption', {}, 'Changed since approval'),
    diff.map(d => h('tr', {}, h('th', { scope: 'row' }, d.field),
      h('td', { class: 'diff-before' }, h('pre', {}, JSON.stringify(d.before, null, 2))),
      h('td', { class: 'diff-after' }, h('pre', {}, JSON.stringify(d.after, null, 2))))));
}
