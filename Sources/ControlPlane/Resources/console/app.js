// The console's shell (issue 12): a hash router, the navigation, and the session. Each page is a
// module `pages/<page>.js` exporting `render(root, ctx)`, loaded when its route is first visited.
import { api, ApiError } from './api.js';
import { h, replace } from './dom.js';

// `#/servers/<id>` renders pages/servers.js with params `{ id }`; the first segment names the page.
const ROUTES = {
  login: { public: true },
  signup: { public: true },
  servers: { title: 'Servers' },
  policies: { title: 'Policies' },
  identities: { title: 'Identities' },
  grants: { title: 'Grants' },
  approvals: { title: 'Approvals' },
  audit: { title: 'Audit' },
  usage: { title: 'Usage' },
  settings: { title: 'Settings' },
};

let member = null;
let renderCount = 0;
// A page may register a function to run when the page is left (a polling timer, an event source).
let leaveCurrentPage = null;

function parseHash() {
  const [page, ...rest] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: page || 'servers', params: rest.length && rest[0] ? { id: rest[0], rest } : {} };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// Whether this browser holds a session, so a visitor without one is not greeted by a 401 in the
// browser log. Not a secret: the session itself is the HttpOnly cookie, which scripts cannot read.
const SESSION_HINT = 'portcullis.signedIn';

/** Who is signed in: `GET /v1/me` with the session cookie, or null. */
async function loadMember() {
  if (!localStorage.getItem(SESSION_HINT)) return null;
  try {
    const me = await api('GET', '/v1/me');
    return { email: me.member.email, role: me.member.role, accountId: me.account.id, accountName: me.account.name };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) { localStorage.removeItem(SESSION_HINT); return null; }
    throw error;
  }
}

function renderChrome(current) {
  const nav = document.getElementById('nav');
  const session = document.getElementById('session');
  nav.hidden = session.hidden = !member;
  if (!member) return;
  replace(nav, h('ul', {}, Object.entries(ROUTES).filter(([, r]) => !r.public).map(([page, r]) =>
    h('li', {}, h('a', { href: `#/${page}`, 'aria-current': page === current ? 'page' : false }, r.title)))));
  replace(session,
    h('span', { class: 'who' }, member.email, ' ', h('span', { class: `role role-${member.role}` }, member.role),
      ' · ', member.accountName),
    h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out'));
}

async function logout() {
  try { await api('POST', '/v1/logout'); } catch { /* the key may already be expired: leave anyway */ }
  localStorage.removeItem(SESSION_HINT);
  member = null;
  navigate('#/login');
}

/** Called by the login and signup pages once the session cookie is set. */
async function signedIn() {
  localStorage.setItem(SESSION_HINT, '1');
  member = await loadMember();
  navigate('#/servers');
}

async function route() {
  const ticket = ++renderCount;
  if (leaveCurrentPage) { leaveCurrentPage(); leaveCurrentPage = null; }
  const { page, params } = parseHash();
  const known = ROUTES[page];
  const main = document.getElementById('main');
  if (!known) { navigate('#/servers'); return; }
  if (!known.public && !member) { navigate('#/login'); return; }
  if (known.public && member) { navigate('#/servers'); return; }
  renderChrome(page);
  const root = h('div', { class: `page page-${page}` });
  replace(main, root);
  document.title = `${known.title || page[0].toUpperCase() + page.slice(1)} · Portcullis`;
  const ctx = {
    api, navigate, member, params, signedIn,
    onLeave(fn) { if (ticket === renderCount) leaveCurrentPage = fn; else fn(); },
  };
  try {
    const module = await import(`./pages/${page}.js`);
    if (ticket !== renderCount) return;
    await module.render(root, ctx);
    // Keyboard and screen-reader users land on the new page, unless the page focused a field itself.
    if (ticket === renderCount && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  } catch (error) {
    if (ticket !== renderCount) return;
    if (error instanceof ApiError && error.status === 401) return; // the unauthorized listener moves on
    replace(root, h('p', { class: 'form-error', role: 'alert' }, `This page failed: ${error.message}`));
  }
}

window.addEventListener('portcullis:unauthorized', () => {
  localStorage.removeItem(SESSION_HINT);
  if (member) { member = null; navigate('#/login'); }
});
window.addEventListener('hashchange', route);

member = await loadMember();
route();
