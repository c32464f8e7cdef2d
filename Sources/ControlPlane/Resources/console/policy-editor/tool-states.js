// A tool's state in the table, read from and written to the document (PolicyLayer's four states,
// plus "default" for a tool without an entry, which `risk` or `default` decides):
//   default: no entry, not hidden     allow:  entry `{}`
//   deny:    entry `{"deny_if": [{"conditions": []}]}` (PolicyLayer's way to block a tool outright)
//   hide:    listed in `hide`          custom: any other entry
// Only exact names are states of a tool; glob keys are edited as entries of their own.

export const STATES = ["default", "allow", "deny", "hide", "custom"];

function isBlockingEntry(entry) {
  const keys = Object.keys(entry);
  if (keys.length !== 1 || keys[0] !== "deny_if" || !Array.isArray(entry.deny_if) || entry.deny_if.length !== 1) return false;
  const rule = entry.deny_if[0];
  return rule !== null && typeof rule === "object" && Array.isArray(rule.conditions) && rule.conditions.length === 0 && rule.name === undefined;
}

/** `openCustom` is the view's set of tools the person switched to Custom while their entry is still `{}`. */
export function toolState(document, name, openCustom = new Set()) {
  if (Array.isArray(document.hide) && document.hide.includes(name)) return "hide";
  const entry = document.tools?.[name];
  if (entry === undefined || entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return entry === undefined ? "default" : "custom";
  }
  if (Object.keys(entry).length === 0) return openCustom.has(name) ? "custom" : "allow";
  return isBlockingEntry(entry) ? "deny" : "custom";
}

/** Changes the document so `name` is in `state`. Leaving Custom for Allow, Deny, Hide or Default drops the entry's rules. */
export function setToolState(document, name, state) {
  const hidden = Array.isArray(document.hide) ? document.hide.filter((n) => n !== name) : [];
  if (state === "hide") hidden.push(name);
  if (hidden.length > 0) document.hide = hidden;
  else delete document.hide;

  // A `tools` that is not an object (typed so in the JSON tab) is replaced by the person's choice.
  const tools = isObject(document.tools) ? document.tools : {};
  const current = tools[name];
  switch (state) {
    case "allow":
      tools[name] = {};
      break;
    case "deny": {
      const onDeny = isObject(current) && isBlockingEntry(current) ? current.deny_if[0].on_deny : undefined;
      tools[name] = { deny_if: [onDeny === undefined ? { conditions: [] } : { conditions: [], on_deny: onDeny }] };
      break;
    }
    case "custom":
      tools[name] = isObject(current) && !isBlockingEntry(current) ? current : {};
      break;
    default:
      delete tools[name];
  }
  if (Object.keys(tools).length > 0) document.tools = tools;
  else delete document.tools;
}

export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The object at `keys` under `root`, created as `{}` along the way. */
export function ensureObject(root, ...keys) {
  let current = root;
  for (const key of keys) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key];
  }
  return current;
}

/** The array `owner[key]`, created when missing. */
export function ensureArray(owner, key) {
  if (!Array.isArray(owner[key])) owner[key] = [];
  return owner[key];
}

/** Sets `owner[key]`, or removes it when `value` is `undefined` (a control's "not set"). */
export function setOrDelete(owner, key, value) {
  if (value === undefined) delete owner[key];
  else owner[key] = value;
}

/** Removes `owner[key]` when it is an empty list or object: an empty `limits: []` says nothing. */
export function pruneEmpty(owner, key) {
  const value = owner?.[key];
  if ((Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0)) delete owner[key];
}
