// The JSON tab: the same document as text, editable. Text that parses to an object replaces the
// document (so the form follows); text that does not parse stays in the box with the parser's
// message and changes nothing. Validation errors are listed with their line.

import { h } from "./dom.js";
import { lineOf, printPolicy } from "./canonical-json.js";

export function jsonTab(view, policyDocument) {
  const textarea = h("textarea", { id: "pe-json", class: "pe-json", rows: "24", spellcheck: "false", readOnly: view.readOnly,
    "aria-describedby": "pe-json-status" });
  const status = h("p", { id: "pe-json-status", class: "pe-json-status", "aria-live": "polite" });
  const errorList = h("ul", { class: "pe-json-errors", "aria-label": "Problems in the document" });
  let printed = printPolicy(policyDocument.value);
  textarea.value = printed.text;

  textarea.addEventListener("input", () => {
    let parsed;
    try {
      parsed = JSON.parse(textarea.value);
    } catch (error) {
      status.textContent = `Not valid JSON: ${error.message}. The form keeps the last valid document.`;
      status.classList.add("pe-error");
      return;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      status.textContent = "A policy is a JSON object. The form keeps the last valid document.";
      status.classList.add("pe-error");
      return;
    }
    status.textContent = "";
    status.classList.remove("pe-error");
    policyDocument.replace(parsed, { source: "json" });
  });

  const element = h("div", { class: "pe-json-tab" },
    h("label", { for: textarea.id }, "Policy document (JSON)"), textarea, status, errorList);

  return {
    element,
    /** Reprints the document unless the change came from this box (the person's own text and cursor stay). */
    refresh(event) {
      printed = printPolicy(policyDocument.value);
      if (event?.source !== "json") {
        textarea.value = printed.text;
        status.textContent = "";
        status.classList.remove("pe-error");
      }
    },
    showErrors(errors) {
      errorList.replaceChildren(...errors.map((error) => {
        const line = error.inDocument ? lineOf(printed.lines, error.pointer) : null;
        const jump = h("button", { type: "button", class: "pe-link", onclick: () => selectLine(textarea, line) }, line ? `line ${line}` : "document");
        return h("li", { class: "pe-error", "data-error-pointer": error.pointer }, jump, ` ${error.pointer || "/"}: ${error.message}`);
      }));
    },
  };
}

function selectLine(textarea, line) {
  if (!line) return;
  const lines = textarea.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
}
