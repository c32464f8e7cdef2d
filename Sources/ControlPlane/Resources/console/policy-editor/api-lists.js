// Whole lists from the API's paged endpoints (`{items, next_cursor}`, at most 200 a page). A tool
// table must show every tool of the catalog, so it follows `next_cursor`, within a bound.

const MAX_PAGES = 50;

export async function listAll(api, path) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const separator = path.includes("?") ? "&" : "?";
    const answer = await api("GET", `${path}${separator}limit=200` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    items.push(...(answer?.items ?? []));
    cursor = answer?.next_cursor;
    if (!cursor) break;
  }
  return items;
}
