// #/grants: which identity may call which server under which policy. The token, secret URL and
// client configurations are in the answers to create and rotate only: shown once here, kept in
// this page's memory and nowhere else (never local storage), gone when the page is left.
import { h, field, onSubmit, time, confirmAction, copyButton, replace } from '../dom.js';
import { can } from '../roles.js';
import { pagedRows, allItems, table } from '../list.js';

const CLIENTS = [['claude_code', 'Claude Code'], ['claude_desktop', 'Claude Desktop'], ['cursor', 'Cursor'], ['vscode', 'VS Code']];

export async function render(root, ctx) {
  const admin = can(ctx.member, 'administer');
  const [identities, servers, policies] = await Promise.all([
    allItems(ctx, '/v1/identities'), allItems(ctx, '/v1/servers'), allItems(ctx, '/v1/policies')]);
  const name = (list, id, key) => list.find(x => x.id === id)?.[key] ?? (id ? id.slice(0, 8) : '—');
  const secret = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Grants'), secret);
  const tbody = h('tbody');
  root.append(table(['Identity', 'Server', 'Policy', 'Status', 'Token', 'Expires', ''], tbody));
  const grantRow = grant => h('tr', { dataset: { grant: grant.id } },
    h('td', {}, name(identities, grant.identity_id, 'label')),
    h('td', {}, name(servers, grant.server_id, 'name')),
    h('td', {}, grant.policy_id ? name(policies, grant.policy_id, 'name') : h('span', { class: 'muted' }, 'none (denies all)')),
    h('td', {}, h('span', { class: `badge ${grant.status === 'active' ? 'ok' : 'bad'}` }, grant.status)),
    h('td', { class: 'mono' }, grant.token_hint),
    h('td', {}, time(grant.expires_at)),
    h('td', { class: 'actions' }, admin && grant.status === 'active' ? [
      h('button', { type: 'button', onclick: async () => {
        if (!confirmAction('Rotate this grant? The current token stops working at once.')) return;
        showSecret(secret, await ctx.api('POST', `/v1/grants/${grant.id}/rotate`));
      } }, 'Rotate'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirmAction('Revoke this grant? Its token stops working at once.')) return;
        await ctx.api('DELETE', `/v1/grants/${grant.id}`);
        ctx.navigate('#/grants');
      } }, 'Revoke')] : null));
  root.append(await pagedRows(ctx, '/v1/grants', {}, tbody, grantRow, { empty: 'No grant yet.', columns: 7 }));
  if (!admin) return;

  const options = (list, key) => list.map(x => h('option', { value: x.id }, x[key]));
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-grant' },
    h('h2', { id: 'new-grant' }, 'New grant'),
    h('div', { class: 'row' },
      field('Identity', h('select', { name: 'identity_id', required: true }, options(identities, 'label'))),
      field('Server', h('select', { name: 'server_id', required: true }, options(servers, 'name'))),
      field('Policy', h('select', { name: 'policy_id' }, h('option', { value: '' }, 'none (denies every call)'), options(policies, 'name'))),
      field('Expires (optional)', h('input', { name: 'expires_at', type: 'datetime-local' }))),
    h('button', { type: 'submit', class: 'primary' }, 'Create grant'));
  onSubmit(form, async formData => {
    const data = Object.fromEntries(formData);
    const body = { identity_id: data.identity_id, server_id: data.server_id };
    if (data.policy_id) body.policy_id = data.policy_id;
    if (data.expires_at) body.expires_at = new Date(data.expires_at).toISOString();
    const grant = await ctx.api('POST', '/v1/grants', body);
    tbody.querySelector('td[colspan]')?.closest('tr').remove();
    tbody.prepend(grantRow(grant));
    showSecret(secret, grant);
  });
  root.append(form);
}

/** The once-only answer of create or rotate: token, URLs and each client's configuration. */
function showSecret(container, grant) {
  const item = (label, value, testid) => [h('h3', {}, label, ' ', copyButton(value)), h('pre', { dataset: { secret: testid } }, value)];
  replace(container, h('section', { class: 'card secret', 'aria-labelledby': 'secret-title' },
    h('h2', { id: 'secret-title' }, 'Copy the token now'),
    h('p', { class: 'notice warning' }, 'This token is shown once. Portcullis keeps only its hash: if it is lost, rotate the grant.'),
    item('Token', grant.token, 'token'),
    item('Gateway URL', grant.gateway_url, 'gateway_url'),
    item('Secret URL (as secret as the token)', grant.secret_url, 'secret_url'),
    h('h2', {}, 'Client configuration'),
    CLIENTS.map(([key, label]) => {
      const config = grant.client_config?.[key];
      if (!config) return null;
      const text = config.command ?? JSON.stringify(config.config, null, 2);
      return [h('h3', {}, label, config.file ? h('span', { class: 'muted' }, ` (${config.file})`) : null, ' ', copyButton(text)),
        h('pre', { dataset: { client: key } }, text)];
    }),
    h('button', { type: 'button', onclick: () => replace(container) }, 'I have copied it: hide')));
  container.scrollIntoView();
}
