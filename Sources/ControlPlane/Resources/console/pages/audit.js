// #/audit: the audit log with filters, paging, expandable rows, the decision chart, chain
// verification and an NDJSON export of the current filter.
import { h, field, time, replace } from '../dom.js';
import { query } from '../api.js';
import { allItems } from '../list.js';
import { decisionChart, seriesClass } from '../chart.js';

const FILTERS = ['identity', 'grant', 'server', 'tool', 'decision', 'code', 'since', 'until'];

export async function render(root, ctx) {
  const [identities, servers, grants] = await Promise.all([
    allItems(ctx, '/v1/identities'), allItems(ctx, '/v1/servers'), allItems(ctx, '/v1/grants')]);
  const pick = (name, label, list, key) => field(label, h('select', { name }, h('option', { value: '' }, 'any'),
    list.map(x => h('option', { value: x.id }, typeof key === 'function' ? key(x) : x[key]))));
  const form = h('form', { class: 'card toolbar', 'aria-label': 'Audit filters' },
    pick('identity', 'Identity', identities, 'label'),
    pick('server', 'Server', servers, 'name'),
    pick('grant', 'Grant', grants, g => `${identities.find(i => i.id === g.identity_id)?.label ?? '?'} ${g.token_hint}`),
    field('Tool', h('input', { name: 'tool', size: 12 })),
    field('Decision', h('select', { name: 'decision' }, ['', 'allow', 'deny'].map(d => h('option', { value: d }, d || 'any')))),
    field('Code', h('input', { name: 'code', size: 12, placeholder: 'rate_limited' })),
    field('Since', h('input', { name: 'since', type: 'datetime-local' })),
    field('Until', h('input', { name: 'until', type: 'datetime-local' })),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  const exportLink = h('a', { href: '/v1/audit/export', download: 'audit.ndjson' }, 'Export NDJSON');
  const verifyResult = h('span', { role: 'status' });
  const verify = h('button', { type: 'button', onclick: async () => {
    verifyResult.textContent = 'Verifying…';
    try {
      const result = await ctx.api('GET', '/v1/audit/verify');
      verifyResult.textContent = result.ok ? `Chain intact: ${result.checked} events checked.`
        : `Chain broken at seq ${result.first_broken.seq}: ${result.first_broken.reason} (${result.checked} checked).`;
      verifyResult.className = result.ok ? 'badge ok' : 'badge bad';
    } catch (error) { verifyResult.textContent = error.message; verifyResult.className = 'badge bad'; }
  } }, 'Verify chain');
  const chart = h('figure', { class: 'card chart' });
  const tbody = h('tbody');
  const pager = h('div', { class: 'actions' });
  root.append(h('h1', {}, 'Audit'), form, h('div', { class: 'actions' }, verify, verifyResult, exportLink), chart,
    h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {},
      ['', 'Time', 'Identity', 'Tool', 'Decision', 'Code', 'Rule', 'Latency'].map(t => h('th', { scope: 'col' }, t)))), tbody)), pager);

  // Cursors of the pages shown so far, so "Previous" can go back; the API pages forward only.
  let cursors = [null];
  function filters() {
    const data = new FormData(form);
    const params = {};
    for (const name of FILTERS) {
      const value = data.get(name);
      if (!value) continue;
      params[name] = name === 'since' || name === 'until' ? new Date(value).toISOString() : value;
    }
    return params;
  }
  async function show(index) {
    const params = filters();
    exportLink.href = '/v1/audit/export' + query(params);
    const page = await ctx.api('GET', '/v1/audit' + query({ ...params, limit: 50, cursor: cursors[index] }));
    cursors = cursors.slice(0, index + 1);
    if (page.next_cursor) cursors.push(page.next_cursor);
    replace(tbody, page.items.length ? page.items.flatMap(auditRows) : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No events match.')));
    if (index === 0) await drawChart(params);
    replace(pager,
      index > 0 ? h('button', { type: 'button', onclick: () => show(index - 1) }, 'Previous') : null,
      h('span', { class: 'muted' }, `Page ${index + 1}`),
      page.next_cursor ? h('button', { type: 'button', onclick: () => show(index + 1) }, 'Next') : null);
  }
  // The chart covers the whole filtered range (the last 24 hours without one), not just this page.
  async function drawChart(params) {
    const summary = await ctx.api('GET', '/v1/audit/summary' + query({ ...params, buckets: 48 }));
    const { chart: svg, series, total } = decisionChart(summary);
    replace(chart, svg, h('figcaption', { class: 'legend' }, series.map(s => h('span', {}, h('span', { class: `swatch ${seriesClass(series, s)}` }), s)),
      h('span', { class: 'muted' }, params.since || params.until ? `${total} calls in the chosen range` : `${total} calls in the last 24 hours`)));
    chart.hidden = !total;
  }
  form.addEventListener('submit', event => { event.preventDefault(); cursors = [null]; show(0); });
  await show(0);
}

function auditRows(event) {
  const detail = h('tr', { class: 'detail', hidden: true }, h('td', { colspan: 8 }, h('pre', {}, JSON.stringify(event, null, 2))));
  const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-label': `Details of event ${event.seq}` }, '▸');
  toggle.addEventListener('click', () => {
    detail.hidden = !detail.hidden;
    toggle.setAttribute('aria-expanded', String(!detail.hidden));
    toggle.textContent = detail.hidden ? '▸' : '▾';
  });
  return [h('tr', { dataset: { decision: event.decision, tool: event.tool || '', kind: event.kind } },
    h('td', {}, toggle),
    h('td', {}, time(event.time)),
    h('td', {}, event.identity_label || '—'),
    h('td', { class: 'mono' }, event.tool || event.method, event.kind !== 'request' ? [' ', h('span', { class: 'badge' }, event.kind)] : null),
    h('td', {}, h('span', { class: `badge decision-${event.decision}` }, event.decision)),
    h('td', {}, event.code || ''),
    h('td', { class: 'mono' }, event.rule || ''),
    h('td', {}, event.latency_ms != null ? `${event.latency_ms} ms` : '')), detail];
}
