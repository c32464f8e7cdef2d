// Labelled controls bound to one field of an object inside the document. An emptied text field or
// a "not set" choice removes the field, so the document says only what the person set.

import { fieldId, h, labelled, select } from "./dom.js";
import { child } from "./json-pointer.js";
import { setOrDelete } from "./tool-states.js";

/** A text field for `owner[key]` (a string); empty removes the key unless `keepEmpty`. */
export function textField(view, owner, key, ownerPointer, label, { keepEmpty = false, ...attributes } = {}) {
  const input = h("input", { id: fieldId(ownerPointer, key), type: "text", value: owner[key] ?? "", readOnly: view.readOnly, ...attributes,
    oninput: () => view.change(() => setOrDelete(owner, key, input.value === "" && !keepEmpty ? undefined : input.value)) });
  return labelled(label, input, child(ownerPointer, key));
}

/** A select for `owner[key]` from `[value, text]` options; the option `""` removes the key. */
export function choiceField(view, owner, key, ownerPointer, label, options, { structural = false } = {}) {
  const control = select(fieldId(ownerPointer, key), options, owner[key] ?? "", (value) =>
    view.change(() => setOrDelete(owner, key, value === "" ? undefined : value), structural), view.readOnly);
  return labelled(label, control, child(ownerPointer, key));
}
