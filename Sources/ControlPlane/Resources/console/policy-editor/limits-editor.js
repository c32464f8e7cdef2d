// A `limits` list: counter, window, max, scope, increment_from, message and fail mode
// (docs/policy-language.md "Limits").

import { h, fieldId, labelled } from "./dom.js";
import { choiceField, textField } from "./document-fields.js";
import { child } from "./json-pointer.js";
import { ensureArray, pruneEmpty } from "./tool-states.js";

const WINDOWS = [["", "choose…"], ...["second", "minute", "hour", "day"].map((w) => [w, "per " + w])];
const SCOPES = ["grant", "identity", "server", "account", "session"].map((s) => [s, s]);
const FAIL = [["", "not set (closed)"], ["closed", "closed: deny"], ["open", "open: allow"]];

/** `counterName` names a new limit's counter (`stop-pod_rate` for a tool, as the recommended policy does). */
export function limitsEditor(view, owner, ownerPointer, paths, counterName) {
  const listPointer = child(ownerPointer, "limits");
  const section = h("fieldset", { class: "pe-limits", "data-pointer": listPointer }, h("legend", {}, "Limits"));
  const limits = Array.isArray(owner.limits) ? owner.limits : [];
  const numericArguments = paths.filter((p) => p.type === "number" || p.type === "integer" || p.type === "any");
  limits.forEach((limit, index) => {
    const limitPointer = child(listPointer, index);
    if (limit === null || typeof limit !== "object" || Array.isArray(limit)) {
      section.append(h("p", { class: "pe-hint", "data-pointer": limitPointer }, `Limit ${index + 1} is not an object; edit it in the JSON tab.`));
      return;
    }
    section.append(limitEditor(view, limit, limitPointer, numericArguments, index, () =>
      view.change(() => { limits.splice(index, 1); pruneEmpty(owner, "limits"); }, true)));
  });
  if (!view.readOnly) {
    section.append(h("button", { type: "button", id: fieldId(listPointer, "add"), onclick: () =>
      view.change(() => ensureArray(owner, "limits").push({ counter: counterName, window: "minute", max: 10, scope: "grant" }), true) }, "Add limit"));
  }
  return section;
}

function limitEditor(view, limit, pointerText, numericArguments, index, onRemove) {
  const box = h("div", { class: "pe-limit", role: "group", "aria-label": `Limit ${index + 1}`, "data-pointer": pointerText });
  const max = h("input", { id: fieldId(pointerText, "max"), type: "number", min: "0", step: "any", readOnly: view.readOnly,
    value: typeof limit.max === "number" ? String(limit.max) : "",
    oninput: () => view.change(() => { limit.max = max.value === "" ? null : Number(max.value); }) });
  const incrementOptions = [["", "count 1 per call"], ...numericArguments.map((p) => [p.path, "add " + p.path])];

  box.append(h("div", { class: "pe-row" },
    textField(view, limit, "counter", pointerText, "Counter", { keepEmpty: true, spellcheck: "false" }),
    labelled("Max", max, child(pointerText, "max")),
    choiceField(view, limit, "window", pointerText, "Window", WINDOWS),
    choiceField(view, limit, "scope", pointerText, "Scope", [["", "not set (grant)"], ...SCOPES])));
  box.append(h("div", { class: "pe-row" },
    choiceField(view, limit, "increment_from", pointerText, "Count", incrementOptions),
    textField(view, limit, "on_deny", pointerText, "Message when exhausted", { placeholder: "the engine's message" }),
    choiceField(view, limit, "fail", pointerText, "If the counter store is down", FAIL)));
  if (!view.readOnly) box.append(h("button", { type: "button", class: "pe-remove", onclick: onRemove }, `Remove limit ${index + 1}`));
  return box;
}
