// #/settings: the account, its members and roles, the caller's API keys, the approval webhook
// and (admins) the admin audit log.
import { h, field, onSubmit, time, confirmAction, copyButton, replace } from '../dom.js';
import { can } from '../roles.js';
import { pagedRows, table } from '../list.js';

const ROLES = ['admin', 'policy_manager', 'viewer'];

export async function render(root, ctx) {
  const admin = can(ctx.member, 'administer');
  const account = await ctx.api('GET', '/v1/account');
  root.append(h('h1', {}, 'Settings'), accountSection(ctx, account, admin));
  root.append(await membersSection(ctx, admin), await apiKeysSection(ctx));
  if (admin) root.append(await adminAuditSection(ctx));
}

function accountSection(ctx, account, admin) {
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, 'Account'),
    h('p', {}, 'Slug: ', h('code', {}, account.slug)),
    field('Name', h('input', { name: 'name', value: account.name, readonly: !admin })),
    field('Approval webhook URL', h('input', { name: 'approval_webhook_url', type: 'url', value: account.approval_webhook_url || '', readonly: !admin }),
      'Portcullis POSTs each new approval request here, signed with the secret below.'),
    account.approval_webhook_secret ? h('p', {}, 'Webhook secret: ', h('code', { class: 'mono' }, account.approval_webhook_secret), ' ',
      copyButton(account.approval_webhook_secret)) : null,
    admin ? h('button', { type: 'submit', class: 'primary' }, 'Save account') : null);
  onSubmit(form, async formData => {
    const data = Object.fromEntries(formData);
    await ctx.api('PATCH', '/v1/account', { name: data.name, approval_webhook_url: data.approval_webhook_url || null });
    ctx.navigate('#/settings');
  });
  return form;
}

async function membersSection(ctx, admin) {
  const tbody = h('tbody');
  const section = h('section', { class: 'card', 'aria-labelledby': 'members-title' }, h('h2', { id: 'members-title' }, 'Members'),
    table(['Email', 'Role', 'Since', ''], tbody));
  section.append(await pagedRows(ctx, '/v1/members', {}, tbody, member => {
    const role = h('select', { name: 'role', 'aria-label': `Role of ${member.email}`, disabled: !admin },
      ROLES.map(r => h('option', { value: r, selected: r === member.role }, r)));
    const message = h('span', { class: 'field-error', role: 'alert' });
    role.addEventListener('change', async () => {
      try { await ctx.api('PATCH', `/v1/members/${member.id}`, { role: role.value }); message.textContent = ''; }
      catch (error) { message.textContent = error.message; role.value = member.role; }
    });
    return h('tr', {}, h('td', {}, member.email), h('td', {}, role, message), h('td', {}, time(member.created_at)),
      h('td', {}, admin ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirmAction(`Remove ${member.email} and their API keys?`)) return;
        try { await ctx.api('DELETE', `/v1/members/${member.id}`); ctx.navigate('#/settings'); }
        catch (error) { message.textContent = error.message; }
      } }, 'Remove') : null));
  }, { columns: 4 }));
  if (!admin) return section;
  const form = h('form', { novalidate: true, 'aria-label': 'Add a member' },
    h('h3', {}, 'Add a member'),
    h('div', { class: 'row' },
      field('Email', h('input', { name: 'email', type: 'email', required: true })),
      field('Initial password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true })),
      field('Role', h('select', { name: 'role' }, ROLES.map(r => h('option', { value: r, selected: r === 'viewer' }, r))))),
    h('button', { type: 'submit' }, 'Add member'));
  onSubmit(form, async data => {
    await ctx.api('POST', '/v1/members', Object.fromEntries(data));
    ctx.navigate('#/settings');
  });
  section.append(form);
  return section;
}

async function apiKeysSection(ctx) {
  const tbody = h('tbody');
  const created = h('div', { 'aria-live': 'polite' });
  const section = h('section', { class: 'card', 'aria-labelledby': 'keys-title' }, h('h2', { id: 'keys-title' }, 'Your API keys'), created,
    table(['Name', 'Key', 'Last used', 'Expires', ''], tbody));
  const memberID = (await ctx.api('GET', '/v1/me')).member.id;
  section.append(await pagedRows(ctx, '/v1/api-keys', { member_id: memberID }, tbody, key => h('tr', {},
    h('td', {}, key.name || '—'), h('td', { class: 'mono' }, key.hint), h('td', {}, time(key.last_used_at)), h('td', {}, time(key.expires_at)),
    h('td', {}, key.revoked_at ? h('span', { class: 'badge' }, 'revoked') : h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirmAction(`Revoke the key ${key.hint}?`)) return;
      await ctx.api('DELETE', `/v1/api-keys/${key.id}`);
      ctx.navigate('#/settings');
    } }, 'Revoke'))), { columns: 5 }));
  const form = h('form', { novalidate: true, class: 'toolbar', 'aria-label': 'New API key' },
    field('Name', h('input', { name: 'name', placeholder: 'ci' })),
    h('button', { type: 'submit' }, 'Create API key'));
  onSubmit(form, async data => {
    const key = await ctx.api('POST', '/v1/api-keys', { name: data.get('name') || '' });
    replace(created, h('div', { class: 'notice warning' }, h('p', {}, 'This key is shown once: copy it now.'),
      h('pre', { dataset: { secret: 'api_key' } }, key.token), copyButton(key.token)));
  });
  section.append(form);
  return section;
}

async function adminAuditSection(ctx) {
  const tbody = h('tbody');
  const section = h('section', { class: 'card', 'aria-labelledby': 'admin-audit-title' }, h('h2', { id: 'admin-audit-title' }, 'Admin audit log'),
    table(['Time', 'Who', 'Action', 'Object', 'Change'], tbody));
  section.append(await pagedRows(ctx, '/v1/admin-audit', {}, tbody, entry => h('tr', {},
    h('td', {}, time(entry.time)), h('td', {}, entry.actor?.label || entry.actor?.member_id || '—'),
    h('td', {}, entry.action), h('td', {}, `${entry.object_type} `, h('code', {}, (entry.object_id || '').slice(0, 8))),
    h('td', {}, h('details', {}, h('summary', {}, 'before / after'),
      h('pre', {}, JSON.stringify({ before: entry.before, after: entry.after }, null, 2))))), { columns: 5 }));
  return section;
}
