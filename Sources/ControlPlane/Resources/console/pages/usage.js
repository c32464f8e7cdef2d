// #/usage: the counters of the current windows, each against the max its policy sets.
import { h, time } from '../dom.js';
import { pagedRows, allItems, table } from '../list.js';

export async function render(root, ctx) {
  const [grants, policies, identities] = await Promise.all([
    allItems(ctx, '/v1/grants'), allItems(ctx, '/v1/policies'), allItems(ctx, '/v1/identities')]);
  // The API reports counts; the max is in the policy's limits, found by counter name and window.
  const maxFor = (grantID, counter, window) => {
    const policy = policies.find(p => p.id === grants.find(g => g.id === grantID)?.policy_id);
    const document = policy?.document || {};
    const limits = [...(document.all_tools?.limits || []), ...Object.values(document.tools || {}).flatMap(t => t?.limits || [])];
    return limits.find(l => l.counter === counter && (l.window || 'minute') === window)?.max;
  };
  const grantLabel = id => {
    const grant = grants.find(g => g.id === id);
    return grant ? `${identities.find(i => i.id === grant.identity_id)?.label ?? '?'} (${grant.token_hint})` : id?.slice(0, 8) ?? '—';
  };
  root.append(h('h1', {}, 'Usage'));
  const tbody = h('tbody');
  root.append(table(['Grant', 'Counter', 'Scope', 'Window', 'Used', 'Resets'], tbody));
  root.append(await pagedRows(ctx, '/v1/usage', {}, tbody, item => {
    const max = maxFor(item.grant_id, item.counter, item.window);
    return h('tr', {},
      h('td', {}, grantLabel(item.grant_id)),
      h('td', { class: 'mono' }, item.counter),
      h('td', {}, item.scope),
      h('td', {}, `${item.window} from ${time(item.window_start)}`),
      h('td', {}, max ? [h('meter', { min: 0, max, value: item.count, 'aria-label': `${item.counter} used` }), ` ${item.count} / ${max}`] : String(item.count)),
      h('td', {}, `in ${item.resets_in_s} s`));
  }, { empty: 'No counter in a current window.', columns: 6 }));
}
