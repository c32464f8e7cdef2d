// The editor's DOM helpers on top of the console's `h` (../dom.js: no innerHTML, no inline style).

import { h, replace } from "../dom.js";

export { h };

/** Replaces an element's children (the console's `replace`) and returns the element. */
export function fill(element, ...children) {
  replace(element, ...children);
  return element;
}

/** Ids derived from a JSON Pointer and a field name: stable across re-renders, so focus survives one. */
export function fieldId(pointer, field = "") {
  return "pe" + (pointer + (field ? "/" + field : "")).replace(/[^A-Za-z0-9_-]/g, (c) => "_" + c.charCodeAt(0).toString(16));
}

/** A labelled control: the label names the input (`for`), and the field carries its pointer for errors. */
export function labelled(text, control, pointer) {
  const label = h("label", { for: control.id }, text);
  if (pointer !== undefined) control.dataset.pointer = pointer;
  return h("div", { class: "pe-field" }, label, control);
}

/** A `<select>` whose options are `[value, text]` pairs; `""` stands for "not set". */
export function select(id, options, current, onchange, disabled) {
  const element = h("select", { id, disabled, onchange: () => onchange(element.value) });
  for (const [value, text] of options) {
    element.append(h("option", { value, selected: value === current }, text));
  }
  if (!options.some(([value]) => value === current) && current !== undefined && current !== "") {
    element.append(h("option", { value: current, selected: true }, current));
  }
  return element;
}
