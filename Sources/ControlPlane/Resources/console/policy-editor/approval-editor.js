// A tool entry's `approval`: when (conditions, all must hold; none: always), timeout, hold and the
// message when a human denies (docs/policy-language.md "Approval").

import { h, fieldId } from "./dom.js";
import { textField } from "./document-fields.js";
import { child } from "./json-pointer.js";
import { conditionEditor, newCondition } from "./condition-editor.js";
import { ensureArray, isObject, pruneEmpty, setOrDelete } from "./tool-states.js";

export function approvalEditor(view, entry, entryPointer, paths) {
  const pointerText = child(entryPointer, "approval");
  const section = h("fieldset", { class: "pe-approval", "data-pointer": pointerText }, h("legend", {}, "Human approval"));
  const enabled = h("input", { id: fieldId(pointerText, "enabled"), type: "checkbox", checked: entry.approval !== undefined, disabled: view.readOnly,
    onchange: () => view.change(() => setOrDelete(entry, "approval", enabled.checked ? {} : undefined), true) });
  section.append(h("div", { class: "pe-check" }, enabled, h("label", { for: enabled.id }, "A human approves calls that pass the other rules")));
  const approval = entry.approval;
  if (!isObject(approval)) return section;

  const hint = fieldId(pointerText, "duration-hint");
  section.append(h("div", { class: "pe-row" },
    textField(view, approval, "timeout", pointerText, "Request valid for", { placeholder: "15m", spellcheck: "false", "aria-describedby": hint }),
    textField(view, approval, "hold", pointerText, "Hold the agent's call", { placeholder: "25s", spellcheck: "false", "aria-describedby": hint }),
    textField(view, approval, "on_deny", pointerText, "Message when a human denies", { placeholder: "the engine's message" })));
  section.append(h("p", { class: "pe-hint", id: hint }, "Durations such as 25s, 15m, 1h30m, 2d."));

  const whenPointer = child(pointerText, "when");
  const when = Array.isArray(approval.when) ? approval.when : [];
  const list = h("div", { class: "pe-conditions", "data-pointer": whenPointer }, h("p", { class: "pe-hint" },
    when.length === 0 ? "Always asks. Add conditions to ask only when all of them hold." : "Asks only when all these conditions hold."));
  when.forEach((condition, index) => {
    if (!isObject(condition)) return;
    list.append(conditionEditor(view, condition, child(whenPointer, index), paths, () =>
      view.change(() => { when.splice(index, 1); pruneEmpty(approval, "when"); }, true)));
  });
  section.append(list);
  if (!view.readOnly) {
    section.append(h("button", { type: "button", id: fieldId(whenPointer, "add"), onclick: () =>
      view.change(() => ensureArray(approval, "when").push(newCondition(paths)), true) }, "Add approval condition"));
  }
  return section;
}
