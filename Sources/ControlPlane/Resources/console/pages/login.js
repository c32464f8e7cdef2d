// #/login: email and password for a session cookie (POST /v1/login with "session": true).
import { h, field, onSubmit } from '../dom.js';

export async function render(root, ctx) {
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', {}, 'Log in'),
    field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    field('Account (optional)', h('input', { name: 'account', autocomplete: 'organization' }),
      'The account slug, when your email belongs to several accounts.'),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    h('p', {}, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')));
  onSubmit(form, async data => {
    const body = { email: data.get('email'), password: data.get('password'), session: true };
    if (data.get('account')) body.account = data.get('account');
    await ctx.api('POST', '/v1/login', body);
    await ctx.signedIn();
  });
  root.append(form);
  form.querySelector('input').focus();
}
