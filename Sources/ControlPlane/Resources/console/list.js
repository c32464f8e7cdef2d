// Paged lists (`items`, `next_cursor`) as a table with a "Load more" button.
import { h } from './dom.js';
import { query } from './api.js';

/** Fills `tbody` with `row(item)` for each item of `path` with `params`, page by page. */
export async function pagedRows(ctx, path, params, tbody, row, { empty = 'Nothing yet.', columns = 1 } = {}) {
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let cursor = null;
  async function load() {
    const page = await ctx.api('GET', path + query({ ...params, limit: 50, cursor }));
    for (const item of page.items) tbody.append(...[row(item)].flat());
    cursor = page.next_cursor;
    more.hidden = !cursor;
    if (!tbody.children.length) tbody.append(h('tr', {}, h('td', { colspan: columns, class: 'muted' }, empty)));
  }
  more.addEventListener('click', load);
  await load();
  return more;
}

/** Every item of a list, following cursors (for pickers: servers, identities, policies). */
export async function allItems(ctx, path, params = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await ctx.api('GET', path + query({ ...params, limit: 200, cursor }));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export function table(headings, tbody) {
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, headings.map(t => h('th', { scope: 'col' }, t)))), tbody));
}
