// The document-wide settings: default, `risk` per class, `pin`, `audit`, `conditions_mode`,
// `validate_arguments` (docs/policy-language.md "Document" and "risk, pin, audit").

import { h, fieldId, labelled, select } from "./dom.js";
import { pointer } from "./json-pointer.js";
import { ensureObject, pruneEmpty, setOrDelete } from "./tool-states.js";

const RISK_CLASSES = ["read", "write", "execute", "destructive", "financial"];
const RISK_ACTIONS = [["", "not set (default)"], ["allow", "allow"], ["deny", "deny"], ["hide", "hide"], ["approve", "ask a human"]];

export function defaultSetting(view, document) {
  const control = select(fieldId("/default"), [["deny", "deny"], ["allow", "allow"]], document.default ?? "", (value) =>
    view.change((doc) => { doc.default = value; }, true), view.readOnly);
  return labelled("Tools without an entry are", control, "/default");
}

export function riskSettings(view, document) {
  const risk = document.risk !== null && typeof document.risk === "object" ? document.risk : {};
  const section = h("fieldset", { class: "pe-risk-settings", "data-pointer": "/risk" }, h("legend", {}, "By risk class (tools without an entry)"));
  const row = h("div", { class: "pe-row" });
  for (const riskClass of RISK_CLASSES) {
    const control = select(fieldId("/risk", riskClass), RISK_ACTIONS, risk[riskClass] ?? "", (value) => view.change((doc) => {
      setOrDelete(ensureObject(doc, "risk"), riskClass, value === "" ? undefined : value);
      pruneEmpty(doc, "risk");
    }), view.readOnly);
    row.append(labelled(riskClass, control, pointer("risk", riskClass)));
  }
  section.append(row);
  return section;
}

export function otherSettings(view, document) {
  const audit = document.audit !== null && typeof document.audit === "object" ? document.audit : {};
  const top = (key, options, label) => labelled(label, select(fieldId("/" + key), options, toText(document[key]), (value) =>
    view.change((doc) => setOrDelete(doc, key, fromText(value))), view.readOnly), "/" + key);
  const auditSetting = (key, options, label) => labelled(label, select(fieldId("/audit", key), options, toText(audit[key]), (value) =>
    view.change((doc) => {
      setOrDelete(ensureObject(doc, "audit"), key, fromText(value));
      pruneEmpty(doc, "audit");
    }), view.readOnly), pointer("audit", key));
  return h("fieldset", { class: "pe-settings" }, h("legend", {}, "Pinning, audit and checks"),
    h("div", { class: "pe-row" },
      top("pin", [["", "not set (block)"], ["block", "block changed tools"], ["warn", "warn"], ["off", "off"]], "Changed tool definitions"),
      auditSetting("arguments", [["", "not set"], ["keys", "keys only"], ["redacted", "redacted values"], ["full", "full"]], "Audit arguments"),
      auditSetting("results", [["", "not set (no)"], ["true", "yes"], ["false", "no"]], "Audit results"),
      top("conditions_mode", [["", "not set (lenient)"], ["lenient", "lenient"], ["strict", "strict"]], "Wrong-typed arguments"),
      top("validate_arguments", [["", "not set (no)"], ["true", "yes"], ["false", "no"]], "Check arguments against the input schema")));
}

function toText(value) {
  return value === undefined ? "" : String(value);
}

/** Select values are text; booleans go back into the document as booleans, "" as not set. */
function fromText(text) {
  if (text === "") return undefined;
  if (text === "true" || text === "false") return text === "true";
  return text;
}
