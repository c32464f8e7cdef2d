// The one source of truth of the editor (issue 12 item 3): the policy document being edited. The
// form and the JSON tab are both views of it; every change goes through `change`, which tells the
// views whether the form must be rebuilt (a structural change) or only the other view refreshed.

export class PolicyDocument {
  #document;
  #listeners = new Set();
  #saved;

  constructor(document) {
    this.#document = structuredClone(document);
    this.#saved = JSON.stringify(document);
  }

  get value() {
    return this.#document;
  }

  get dirty() {
    return JSON.stringify(this.#document) !== this.#saved;
  }

  markSaved(document) {
    this.#document = structuredClone(document);
    this.#saved = JSON.stringify(document);
    this.#notify({ source: "server", structural: true });
  }

  /** `mutate(document)` edits in place. `source` names the view that made the change, so it is not redrawn under the user. */
  change(mutate, { source, structural = false } = {}) {
    mutate(this.#document);
    this.#notify({ source, structural });
  }

  replace(document, { source } = {}) {
    this.#document = structuredClone(document);
    this.#notify({ source, structural: true });
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(event) {
    for (const listener of this.#listeners) listener(event);
  }
}

/** A new policy: the smallest valid document, denying what it does not list. */
export function emptyPolicy() {
  return { version: "1", default: "deny" };
}
