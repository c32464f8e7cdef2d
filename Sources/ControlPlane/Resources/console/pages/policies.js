// `#/policies`: the account's policies; `#/policies/<id>` and `#/policies/new`: the visual editor
// (issue 12 item 3, in ../policy-editor/).

import { h, fill } from "../policy-editor/dom.js";
import { listAll } from "../policy-editor/api-lists.js";
import { renderEditor } from "../policy-editor/editor-page.js";

export async function render(root, ctx) {
  linkEditorStylesheet();
  root.classList.add("pe-page");
  if (ctx.params?.id) return renderEditor(root, ctx, ctx.params.id);
  return renderList(root, ctx);
}

async function renderList(root, ctx) {
  const [policies, servers] = await Promise.all([listAll(ctx.api, "/v1/policies"), listAll(ctx.api, "/v1/servers")]);
  const serverNames = new Map(servers.map((s) => [s.id, s.name]));
  const canEdit = ctx.member?.role !== "viewer";
  const table = h("table", { class: "pe-policy-list" },
    h("caption", {}, `${policies.length} ${policies.length === 1 ? "policy" : "policies"}`),
    h("thead", {}, h("tr", {}, ...["Name", "Server", "Version", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...policies.map((p) => h("tr", { "data-policy": p.id },
      h("th", { scope: "row" }, h("a", { href: `#/policies/${p.id}` }, p.name)),
      h("td", {}, p.server_id ? serverNames.get(p.server_id) ?? p.server_id : "—"),
      h("td", {}, String(p.version)),
      h("td", {}, h("time", { datetime: p.updated_at }, p.updated_at))))));
  fill(root,
    h("h2", {}, "Policies"),
    canEdit ? h("p", {}, h("a", { href: "#/policies/new", id: "pe-new-policy", class: "pe-button" }, "New policy")) : null,
    policies.length > 0 ? table : h("p", { class: "pe-hint" }, "No policies yet."));
}

/** The editor's rules live in their own stylesheet; a linked sheet from our origin passes the CSP (`style-src 'self'`). */
function linkEditorStylesheet() {
  const href = new URL("../policy-editor/editor.css", import.meta.url).href;
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}
