// #/signup: a new account and its first admin, then a console session for them.
import { h, field, onSubmit } from '../dom.js';

export async function render(root, ctx) {
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', {}, 'Sign up'),
    field('Account name', h('input', { name: 'account_name', autocomplete: 'organization', required: true })),
    field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }),
      'At least 10 characters.'),
    h('button', { type: 'submit', class: 'primary' }, 'Create account'),
    h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));
  onSubmit(form, async formData => {
    const data = Object.fromEntries(formData);
    // Signup answers with an API key for scripts; the console discards it and logs in instead,
    // so its session is an HttpOnly cookie that page scripts never read.
    await ctx.api('POST', '/v1/signup', data);
    await ctx.api('POST', '/v1/login', { email: data.email, password: data.password, session: true });
    await ctx.signedIn();
  });
  root.append(form);
  form.querySelector('input').focus();
}
