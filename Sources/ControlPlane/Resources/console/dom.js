// Building the page from elements and text nodes, never HTML strings: every value becomes a text node or an attribute, so nothing
// the API returns (tool descriptions, arguments) can become markup. No inline handlers or styles (CSP).

/** `h('button', {class: 'primary', onclick: fn}, 'Save')`: an element with attributes, `on*` listeners
 *  and children (strings, numbers, nodes, arrays; null and false are skipped). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'value' || name === 'checked' || name === 'selected' || name === 'readOnly') {
      // Properties, not attributes: a control's current state (and a textarea's text) lives there.
      element[name] = name === 'value' ? value : Boolean(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
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

/** Replaces everything inside `element` with `children`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** A time from the API, in the browser's locale; '—' for null. */
export function time(value) {
  return value ? new Date(value).toLocaleString() : '—';
}

/** A labelled form field: `field('Name', h('input', {name: 'name', required: true}))`. The label
 *  names the control by id (one is made when it has none); `hint` is linked by aria-describedby. */
let fieldCount = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++fieldCount}`;
  control.id = id;
  const parts = [h('label', { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  parts.push(h('span', { class: 'field-error', role: 'alert', dataset: { for: control.name || id } }));
  return h('div', { class: 'field' }, parts);
}

/** Shows an ApiError on a form: each `{pointer, message}` next to the control whose `name` is the
 *  pointer's last segment (or its `data-pointer`), the rest in the form's summary. */
export function showErrors(form, error) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  const summary = form.querySelector('.form-error') || form.appendChild(h('p', { class: 'form-error', role: 'alert' }));
  if (!error) { summary.textContent = ''; return; }
  const unplaced = [];
  for (const { pointer, message } of error.problem?.errors || []) {
    const control = form.querySelector(`[data-pointer="${CSS.escape(pointer)}"]`)
      || form.querySelector(`[name="${CSS.escape(pointer.split('/').pop())}"]`);
    const slot = control && control.closest('.field')?.querySelector('.field-error');
    if (slot) {
      slot.textContent = message;
      control.setAttribute('aria-invalid', 'true');
    } else {
      unplaced.push(`${pointer}: ${message}`);
    }
  }
  summary.textContent = [error.message, ...unplaced].join(' ');
}

/** Runs `action(formData)` when `form` is submitted: the submit button is disabled meanwhile (no double
 *  submission), and an ApiError it throws is shown on the form (`showErrors`); success clears them. */
export function onSubmit(form, action) {
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    try {
      await action(new FormData(form));
      showErrors(form, null);
    } catch (error) {
      showErrors(form, error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** A button that copies `text()` to the clipboard and says so. */
export function copyButton(text, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'copy' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

/** Asks before a destructive action; the native dialog is keyboard-accessible. */
export function confirmAction(message) {
  return window.confirm(message);
}
