// Building DOM nodes without innerHTML: every text the API returns (tool names, descriptions,
// messages) is set as text, never parsed as markup, and no inline style is ever written (strict CSP).

/** `h("button", { class: "pe-x", onclick: f }, "Save")`; attributes with `null`/`false` are left out. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "value") {
      element.value = value;
    } else if (name === "checked" || name === "disabled" || name === "readOnly" || name === "selected") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Replaces an element's children; `null`, `undefined` and `false` children are left out. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
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
