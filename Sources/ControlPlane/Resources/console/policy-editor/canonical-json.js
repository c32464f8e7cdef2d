// The JSON tab's text: the document with its keys in the order docs/policy-language.md writes them
// (version, default, ... ; counter, window, max, scope ...), printed like JSON.stringify(doc, null, 2).
// The API stores documents as jsonb, which sorts keys by length, so without this a saved policy
// would come back reading `{"default": ..., "version": ...}`. Also records the line of every
// JSON Pointer, so validation errors can name their line in the JSON tab.

import { child } from "./json-pointer.js";

const ORDERS = {
  document: ["version", "default", "hide", "all_tools", "tools", "risk", "pin", "audit", "conditions_mode", "validate_arguments"],
  entry: ["require", "deny_if", "limits", "approval"],
  rule: ["name", "conditions", "on_deny"],
  condition: ["path", "op", "value"],
  limit: ["counter", "window", "max", "scope", "increment_from", "on_deny", "fail"],
  approval: ["when", "timeout", "hold", "on_deny"],
  risk: ["read", "write", "execute", "destructive", "financial"],
  audit: ["arguments", "results"],
};

/** What kind of object sits at a path of segments inside a policy document (null: keep its order). */
function kindAt(path) {
  if (path.length === 0) return "document";
  const [top] = path;
  if (path.length === 1) return { all_tools: "entry", risk: "risk", audit: "audit" }[top] ?? null;
  let rest;
  if (top === "all_tools") {
    rest = path.slice(1);
  } else if (top === "tools") {
    if (path.length === 2) return "entry";
    rest = path.slice(2);
  } else {
    return null;
  }
  const [field] = rest;
  if (field === "require" || field === "deny_if") {
    if (rest.length === 2) return "rule";
    if (rest.length === 4 && rest[2] === "conditions") return "condition";
  }
  if (field === "limits" && rest.length === 2) return "limit";
  if (field === "approval") {
    if (rest.length === 1) return "approval";
    if (rest.length === 3 && rest[1] === "when") return "condition";
  }
  return null;
}

/** JavaScript string order (UTF-16 code units): stable, which is all the printout needs. */
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function orderedKeys(object, path) {
  // Tool names sorted, so two versions list their entries alike and the history's diff shows only changes.
  if (path.length === 1 && path[0] === "tools") return Object.keys(object).sort(byCodeUnits);
  const order = ORDERS[kindAt(path)] ?? [];
  const keys = Object.keys(object);
  return [...order.filter((k) => keys.includes(k)), ...keys.filter((k) => !order.includes(k))];
}

/** `{ text, lines }`: the printed document and a map from JSON Pointer to 1-based line number. */
export function printPolicy(document) {
  const lines = new Map();
  let line = 1;
  function print(value, path, pointerText, indent) {
    lines.set(pointerText, line);
    if (Array.isArray(value)) {
      if (value.length === 0) return "[]";
      const inner = indent + "  ";
      const parts = value.map((item, index) => {
        line += 1;
        return inner + print(item, [...path, String(index)], child(pointerText, index), inner);
      });
      line += 1;
      return "[\n" + parts.join(",\n") + "\n" + indent + "]";
    }
    if (value !== null && typeof value === "object") {
      const keys = orderedKeys(value, path);
      if (keys.length === 0) return "{}";
      const inner = indent + "  ";
      const parts = keys.map((key) => {
        line += 1;
        return inner + JSON.stringify(key) + ": " + print(value[key], [...path, key], child(pointerText, key), inner);
      });
      line += 1;
      return "{\n" + parts.join(",\n") + "\n" + indent + "}";
    }
    return JSON.stringify(value);
  }
  const text = print(document, [], "", "");
  return { text, lines };
}

/** The line of the nearest pointer the map knows, walking up from the one given. */
export function lineOf(lines, pointerText) {
  let current = pointerText;
  while (true) {
    if (lines.has(current)) return lines.get(current);
    if (current === "") return 1;
    current = current.slice(0, current.lastIndexOf("/"));
  }
}
