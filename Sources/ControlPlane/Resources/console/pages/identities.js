// #/identities: the agents and people that call tools through grants.
import { h, field, onSubmit, time, confirmAction } from '../dom.js';
import { can } from '../roles.js';
import { pagedRows, table } from '../list.js';

export async function render(root, ctx) {
  const admin = can(ctx.member, 'administer');
  root.append(h('h1', {}, 'Identities'));
  const tbody = h('tbody');
  root.append(table(['Label', 'Description', 'Created', ''], tbody));
  root.append(await pagedRows(ctx, '/v1/identities', {}, tbody, identity => h('tr', {},
    h('td', {}, h('strong', {}, identity.label)),
    h('td', {}, identity.description || ''),
    h('td', {}, time(identity.created_at)),
    h('td', { class: 'actions' },
      h('a', { href: `#/grants` }, 'Grants'),
      admin ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirmAction(`Delete ${identity.label} and revoke its grants?`)) return;
        await ctx.api('DELETE', `/v1/identities/${identity.id}`);
        ctx.navigate('#/identities');
      } }, 'Delete') : null)), { empty: 'No identity yet.', columns: 4 }));
  if (!admin) return;
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-identity' },
    h('h2', { id: 'new-identity' }, 'New identity'),
    h('div', { class: 'row' },
      field('Label', h('input', { name: 'label', required: true, placeholder: 'alice-laptop' })),
      field('Description', h('input', { name: 'description' }))),
    h('button', { type: 'submit', class: 'primary' }, 'Create identity'));
  onSubmit(form, async formData => {
    const data = Object.fromEntries(formData);
    if (!data.description) delete data.description;
    await ctx.api('POST', '/v1/identities', data);
    ctx.navigate('#/identities');
  });
  root.append(form);
}
