// Problems from `POST /v1/policies/validate` (or a rejected save) shown next to the field their
// JSON Pointer names: the control whose `data-pointer` is the pointer, else its nearest ancestor
// that has one (an unknown field `/tools/x/limts` lands on the tool's entry).

import { h } from "./dom.js";
import { ancestors, documentPointer } from "./json-pointer.js";

/** `[{pointer, message}]` relative to the document, from an ApiError's problem (other pointers keep theirs). */
export function problemErrors(problem) {
  const errors = Array.isArray(problem?.errors) ? problem.errors : [];
  return errors.map((e) => {
    const inDocument = documentPointer(String(e.pointer ?? ""));
    return { pointer: inDocument ?? String(e.pointer ?? ""), inDocument: inDocument !== null, message: String(e.message ?? "is invalid") };
  });
}

/** Removes earlier messages, then puts each error after its control; returns those that found none. */
export function showErrorsInForm(container, errors) {
  for (const old of container.querySelectorAll(".pe-error")) old.remove();
  for (const invalid of container.querySelectorAll("[aria-invalid]")) {
    invalid.removeAttribute("aria-invalid");
    invalid.removeAttribute("aria-errormessage");
  }
  const byPointer = new Map();
  for (const element of container.querySelectorAll("[data-pointer]")) {
    if (!byPointer.has(element.dataset.pointer)) byPointer.set(element.dataset.pointer, element);
  }
  const unplaced = [];
  errors.forEach((error, index) => {
    const target = ancestors(error.pointer).map((p) => byPointer.get(p)).find((e) => e !== undefined);
    if (target === undefined || error.pointer === "") {
      unplaced.push(error);
      return;
    }
    const id = `pe-error-${index}`;
    const message = h("p", { class: "pe-error", id, "data-error-pointer": error.pointer }, messageText(error, target));
    const control = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
    if (control && target.matches("input, select, textarea")) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-errormessage", id);
      (control.closest(".pe-field") ?? control).after(message);
    } else if (target.matches("fieldset")) {
      target.querySelector("legend").after(message);
    } else {
      target.prepend(message);
    }
  });
  return unplaced;
}

/** The pointer is repeated only when the message sits on an ancestor of the field it concerns. */
function messageText(error, target) {
  return target.dataset.pointer === error.pointer ? error.message : `${error.pointer}: ${error.message}`;
}
