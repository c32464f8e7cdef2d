// Every tool of the server's catalog with its risk class, each set to Default / Allow / Deny / Hide /
// Custom (issue 12 item 3); Custom opens the entry editor under the tool's row. Entries the catalog
// does not list (globs such as `get-*`, tools gone from the server) follow in a table of their own.

import { h, fieldId, select } from "./dom.js";
import { pointer } from "./json-pointer.js";
import { argumentPaths } from "./argument-paths.js";
import { entryEditor } from "./entry-editor.js";
import { isObject, setToolState, toolState } from "./tool-states.js";

/** `viewState.openCustom`: names switched to Custom while their entry is still `{}`; `viewState.filter`:
 *  the text the table is narrowed to. Both are the view's, not the document's. */
export function toolsTable(view, document, tools, viewState) {
  const { openCustom } = viewState;
  const defaultText = `Default (${document.default === "allow" ? "allow" : "deny"})`;
  const stateOptions = [["default", defaultText], ["allow", "Allow"], ["deny", "Deny"], ["hide", "Hide"], ["custom", "Custom"]];
  const table = h("table", { class: "pe-tools" },
    h("caption", {}, `Tools of this server (${tools.length})`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Tool"), h("th", { scope: "col" }, "Risk"), h("th", { scope: "col" }, "Decision"))));
  const body = h("tbody");
  const rows = [];
  for (const tool of tools) {
    const entryPointer = pointer("tools", tool.name);
    const state = toolState(document, tool.name, openCustom);
    const control = select(fieldId(entryPointer, "state"), stateOptions, state, (value) => {
      view.change((doc) => {
        if (value === "custom") openCustom.add(tool.name);
        else openCustom.delete(tool.name);
        setToolState(doc, tool.name, value);
      }, true);
    }, view.readOnly);
    control.setAttribute("aria-label", `Decision for ${tool.name}`);
    control.dataset.tool = tool.name;
    control.dataset.pointer = entryPointer;
    const row = h("tr", { class: "pe-tool pe-state-" + state, "data-tool": tool.name },
      h("th", { scope: "row" }, h("span", { class: "pe-tool-name" }, tool.name), tool.description ? h("small", { class: "pe-tool-description" }, tool.description) : null),
      h("td", {}, riskBadge(tool.risk)),
      h("td", {}, control));
    body.append(row);
    const group = [row];
    if (state === "custom" && isObject(document.tools?.[tool.name])) {
      const custom = h("tr", { class: "pe-custom-row" }, h("td", { colspan: "3" },
        entryEditor(view, document.tools[tool.name], entryPointer, argumentPaths(tool.definition?.inputSchema),
          { counterName: `${tool.name}_rate`, label: `Rules for ${tool.name}` })));
      body.append(custom);
      group.push(custom);
    }
    rows.push({ text: `${tool.name} ${tool.risk?.class ?? ""} ${state}`.toLowerCase(), group });
  }
  table.append(body);

  const filter = h("input", { id: "pe-tool-filter", type: "search", value: viewState.filter, autocomplete: "off",
    oninput: () => { viewState.filter = filter.value; applyFilter(); } });
  function applyFilter() {
    const words = viewState.filter.toLowerCase().split(/\s+/).filter(Boolean);
    for (const { text, group } of rows) {
      const shown = words.every((word) => text.includes(word));
      for (const element of group) element.hidden = !shown;
    }
  }
  applyFilter();
  return h("section", { class: "pe-tools-section", "aria-label": "Tools" },
    h("div", { class: "pe-field pe-filter" }, h("label", { for: filter.id }, "Filter tools (name, risk class or decision)"), filter), table);
}

function riskBadge(risk) {
  if (!risk?.class) return h("span", { class: "pe-risk pe-risk-unknown" }, "unclassified");
  return h("span", { class: `pe-risk pe-risk-${risk.class}`, title: risk.rationale ?? "" }, risk.class + (risk.severity ? ` · ${risk.severity}` : ""));
}

/** Entries of `tools` and names in `hide` that are not catalog tools: globs, or tools the server no longer lists. */
export function otherEntries(view, document, catalogNames, allPaths) {
  const section = h("section", { class: "pe-other", "aria-labelledby": "pe-other-title" }, h("h3", { id: "pe-other-title" }, "Other entries and globs"));
  section.append(h("p", { class: "pe-hint" }, "Keys with * match many tools (get-* matches get-pod); an exact tool entry wins over a glob."));
  const names = Object.keys(isObject(document.tools) ? document.tools : {}).filter((n) => !catalogNames.has(n));
  for (const name of names) {
    const entryPointer = pointer("tools", name);
    const entry = document.tools[name];
    const remove = view.readOnly ? null : h("button", { type: "button", class: "pe-remove", onclick: () => view.change((doc) => setToolState(doc, name, "default"), true) }, `Remove ${name}`);
    section.append(h("div", { class: "pe-other-entry", "data-pointer": entryPointer }, h("h4", {}, name), remove,
      isObject(entry) ? entryEditor(view, entry, entryPointer, allPaths, { counterName: `${name.replace(/\*/g, "all")}_rate`, label: `Rules for ${name}` }) : null));
  }
  const hidden = (Array.isArray(document.hide) ? document.hide : []).map((n, i) => [n, i]).filter(([n]) => !catalogNames.has(n));
  if (hidden.length > 0) {
    section.append(h("p", {}, "Also hidden: ", ...hidden.map(([name, index]) => h("span", { class: "pe-chip", "data-pointer": pointer("hide", index) }, name,
      view.readOnly ? null : h("button", { type: "button", "aria-label": `Stop hiding ${name}`, onclick: () =>
        view.change((doc) => setToolState(doc, name, "default"), true) }, "×")))));
  }
  if (!view.readOnly) section.append(addEntryForm(view));
  return section;
}

function addEntryForm(view) {
  const input = h("input", { id: "pe-new-entry", type: "text", spellcheck: "false", placeholder: "get-* or a tool name" });
  const add = (state) => {
    const name = input.value.trim();
    if (name === "") return;
    view.change((doc) => setToolState(doc, name, state), true);
  };
  return h("div", { class: "pe-row" }, h("div", { class: "pe-field" }, h("label", { for: input.id }, "Tool name or glob"), input),
    h("button", { type: "button", onclick: () => add("custom") }, "Add entry"),
    h("button", { type: "button", onclick: () => add("hide") }, "Hide"));
}
