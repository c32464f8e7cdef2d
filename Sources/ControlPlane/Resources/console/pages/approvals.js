// #/approvals: held tool calls waiting for a human (design.md §5.6). The pending queue refreshes itself
// every few seconds while the page is open; an agent is waiting on each row.
import { h, time, replace } from '../dom.js';
import { can } from '../roles.js';
import { allItems, table } from '../list.js';

const REFRESH_MS = 3000;

export async function render(root, ctx) {
  const decide = can(ctx.member, 'decideApprovals');
  const [identities, servers] = await Promise.all([allItems(ctx, '/v1/identities'), allItems(ctx, '/v1/servers')]);
  const label = (list, id, key) => list.find(x => x.id === id)?.[key] ?? id?.slice(0, 8);
  const status = h('select', { id: 'approval-status', name: 'status' },
    ['pending', 'approved', 'denied', 'expired', 'consumed'].map(s => h('option', { value: s }, s)));
  const tbody = h('tbody');
  const updated = h('p', { class: 'hint', role: 'status' });
  root.append(h('h1', {}, 'Approvals'),
    h('div', { class: 'toolbar' }, h('div', { class: 'field' }, h('label', { for: 'approval-status' }, 'Show'), status)),
    table(['Identity', 'Server', 'Tool', 'Arguments', 'Rule', 'Requested', 'Time left or decision', ''], tbody),
    updated);

  // Rows being typed in (a reason) are not replaced by a refresh.
  let busy = false;
  async function refresh() {
    if (busy || root.contains(document.activeElement) && document.activeElement.name === 'reason') return;
    const page = await ctx.api('GET', `/v1/approvals?status=${status.value}&limit=100`);
    replace(tbody, page.items.length ? page.items.map(row) : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, `No ${status.value} requests.`)));
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  function row(approval) {
    const reason = h('input', { name: 'reason', placeholder: 'Reason (optional)', 'aria-label': `Reason for ${approval.tool}` });
    const act = verb => async () => {
      busy = true;
      try {
        const body = reason.value ? { reason: reason.value } : {};
        await ctx.api('POST', `/v1/approvals/${approval.id}/${verb}`, body);
      } catch (error) {
        updated.textContent = error.message;
      } finally { busy = false; }
      await refresh();
    };
    const pending = approval.status === 'pending';
    return h('tr', { dataset: { approval: approval.id } },
      h('td', {}, label(identities, approval.identity_id, 'label')),
      h('td', {}, label(servers, approval.server_id, 'name')),
      h('td', { class: 'mono' }, approval.tool),
      h('td', {}, h('pre', {}, JSON.stringify(approval.arguments, null, 2))),
      h('td', { class: 'mono' }, approval.rule || ''),
      h('td', {}, time(approval.requested_at)),
      h('td', {}, pending ? timeLeft(approval.expires_at) : [approval.status, approval.reason ? h('div', { class: 'hint' }, approval.reason) : null]),
      h('td', {}, pending && decide ? h('div', { class: 'actions' }, reason,
        h('button', { type: 'button', class: 'primary', onclick: act('approve') }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: act('deny') }, 'Deny')) : null));
  }

  status.addEventListener('change', refresh);
  await refresh();
  const timer = setInterval(() => { if (status.value === 'pending') refresh().catch(() => {}); }, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}

function timeLeft(expiresAt) {
  const seconds = Math.max(0, Math.round((new Date(expiresAt) - Date.now()) / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}
