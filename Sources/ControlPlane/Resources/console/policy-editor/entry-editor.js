// The Custom editor of one tool entry (or of `all_tools`, which has no approval): require and
// deny_if rules, limits, approval.

import { h } from "./dom.js";
import { rulesEditor } from "./rules-editor.js";
import { limitsEditor } from "./limits-editor.js";
import { approvalEditor } from "./approval-editor.js";

/** `counterName` for new limits; `withApproval` is false for `all_tools`. */
export function entryEditor(view, entry, entryPointer, paths, { counterName, withApproval = true, label }) {
  return h("div", { class: "pe-entry", role: "group", "aria-label": label, "data-pointer": entryPointer },
    rulesEditor(view, entry, "require", entryPointer, paths),
    rulesEditor(view, entry, "deny_if", entryPointer, paths),
    limitsEditor(view, entry, entryPointer, paths, counterName),
    withApproval ? approvalEditor(view, entry, entryPointer, paths) : null);
}
