// A `require` or `deny_if` list: each rule's optional name and message and its conditions.
// `require` denies when any condition is false; `deny_if` when all are true (and always with none).

import { h, fieldId } from "./dom.js";
import { textField } from "./document-fields.js";
import { child } from "./json-pointer.js";
import { conditionEditor, newCondition } from "./condition-editor.js";
import { ensureArray, pruneEmpty } from "./tool-states.js";

const TITLES = {
  require: ["Require", "The call is denied unless every condition holds."],
  deny_if: ["Deny if", "The call is denied when all conditions hold; a rule without conditions always denies."],
};

/** `owner` is the tool entry or `all_tools`; `key` is `require` or `deny_if`. */
export function rulesEditor(view, owner, key, ownerPointer, paths) {
  const [title, explanation] = TITLES[key];
  const listPointer = child(ownerPointer, key);
  const section = h("fieldset", { class: "pe-rules", "data-pointer": listPointer }, h("legend", {}, title), h("p", { class: "pe-hint" }, explanation));
  const rules = Array.isArray(owner[key]) ? owner[key] : [];
  rules.forEach((rule, index) => {
    const rulePointer = child(listPointer, index);
    if (rule === null || typeof rule !== "object" || Array.isArray(rule)) {
      section.append(h("p", { class: "pe-hint", "data-pointer": rulePointer }, `Rule ${index + 1} is not an object; edit it in the JSON tab.`));
      return;
    }
    section.append(ruleEditor(view, rule, rulePointer, paths, `${title} rule ${index + 1}`, () =>
      view.change(() => { rules.splice(index, 1); pruneEmpty(owner, key); }, true)));
  });
  if (!view.readOnly) {
    section.append(h("button", { type: "button", id: fieldId(listPointer, "add"), onclick: () =>
      view.change(() => ensureArray(owner, key).push({ conditions: key === "require" ? [newCondition(paths)] : [] }), true) },
    `Add ${title.toLowerCase()} rule`));
  }
  return section;
}

function ruleEditor(view, rule, rulePointer, paths, label, onRemove) {
  const box = h("div", { class: "pe-rule", role: "group", "aria-label": label, "data-pointer": rulePointer });
  box.append(h("div", { class: "pe-row" },
    textField(view, rule, "name", rulePointer, "Rule name"),
    textField(view, rule, "on_deny", rulePointer, "Message when denied", { placeholder: "the engine's message" })));

  const conditionsPointer = child(rulePointer, "conditions");
  const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
  const list = h("div", { class: "pe-conditions", "data-pointer": conditionsPointer });
  conditions.forEach((condition, index) => {
    if (condition === null || typeof condition !== "object" || Array.isArray(condition)) return;
    list.append(conditionEditor(view, condition, child(conditionsPointer, index), paths, () =>
      view.change(() => conditions.splice(index, 1), true)));
  });
  if (conditions.length === 0) list.append(h("p", { class: "pe-hint" }, "No conditions."));
  box.append(list);
  if (!view.readOnly) {
    box.append(h("div", { class: "pe-actions" },
      h("button", { type: "button", id: fieldId(conditionsPointer, "add"), onclick: () => view.change(() => ensureArray(rule, "conditions").push(newCondition(paths)), true) }, "Add condition"),
      h("button", { type: "button", class: "pe-remove", onclick: onRemove }, `Remove ${label.toLowerCase()}`)));
  }
  return box;
}
