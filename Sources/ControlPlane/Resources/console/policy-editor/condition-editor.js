// One condition `{path, op, value}`: the path picked from the tool's inputSchema (or typed), the
// operator, and a value control of the type the operator and the argument need
// (docs/policy-language.md "Operators").

import { h, fieldId, labelled, select } from "./dom.js";
import { child } from "./json-pointer.js";
import { CONTEXT_PATHS } from "./argument-paths.js";

export const OPERATORS = [
  ["eq", "equals"], ["neq", "does not equal"], ["in", "is one of"], ["not_in", "is none of"],
  ["lt", "<"], ["lte", "≤"], ["gt", ">"], ["gte", "≥"], ["regex", "matches regex"], ["contains", "contains"],
  ["exists", "exists"], ["len_lte", "length ≤"], ["len_gte", "length ≥"],
];
const NUMERIC = new Set(["lt", "lte", "gt", "gte"]);
const LENGTH = new Set(["len_lte", "len_gte"]);
const LISTS = new Set(["in", "not_in"]);
const OTHER = "\u0000other";

/** `view`: `{ readOnly, change(mutate, structural) }`; `paths`: the argument paths to offer. */
export function conditionEditor(view, condition, pointerText, paths, onRemove) {
  const known = [...paths, ...CONTEXT_PATHS];
  const pathInfo = known.find((p) => p.path === condition.path) ?? { type: "any" };
  const row = h("div", { class: "pe-condition", role: "group", "aria-label": "Condition" });

  const pathOptions = [["", "choose an argument…"], ...known.map((p) => [p.path, p.path + (p.type !== "any" ? ` (${p.type})` : "")]), [OTHER, "other path…"]];
  const isOther = typeof condition.path === "string" && condition.path !== "" && !known.some((p) => p.path === condition.path);
  const pathSelect = select(fieldId(pointerText, "path-choice"), pathOptions, isOther ? OTHER : condition.path ?? "", (value) => {
    if (value === OTHER) {
      view.change(() => { condition.path = isOther ? condition.path : "args."; }, true);
    } else {
      view.change(() => { condition.path = value; }, true);
    }
  }, view.readOnly);
  row.append(labelled("Argument", pathSelect, child(pointerText, "path")));
  if (isOther || condition.path === "args.") {
    const text = h("input", { id: fieldId(pointerText, "path"), type: "text", value: condition.path ?? "", readOnly: view.readOnly, spellcheck: "false",
      oninput: () => view.change(() => { condition.path = text.value; }) });
    row.append(labelled("Path", text, child(pointerText, "path")));
  }

  const opSelect = select(fieldId(pointerText, "op"), [["", "choose…"], ...OPERATORS], condition.op ?? "", (op) => {
    view.change(() => {
      condition.op = op;
      condition.value = convertValue(condition.value, op, pathInfo);
    }, true);
  }, view.readOnly);
  row.append(labelled("Operator", opSelect, child(pointerText, "op")));

  row.append(labelled("Value", valueControl(view, condition, pointerText, pathInfo), child(pointerText, "value")));

  if (!view.readOnly) {
    row.append(h("button", { type: "button", class: "pe-remove", onclick: onRemove, "aria-label": `Remove condition on ${condition.path || "(no path)"}` }, "Remove"));
  }
  return row;
}

/** The value control: a select for booleans and enums, a number field for numbers, a list for `in`. */
function valueControl(view, condition, pointerText, pathInfo) {
  const id = fieldId(pointerText, "value");
  const set = (value) => view.change(() => { condition.value = value; });
  const { op } = condition;
  if (op === "exists" || ((op === "eq" || op === "neq" || op === "contains") && pathInfo.type === "boolean")) {
    return select(id, [["true", "true"], ["false", "false"]], String(condition.value), (v) => set(v === "true"), view.readOnly);
  }
  if (NUMERIC.has(op) || LENGTH.has(op) || ((op === "eq" || op === "neq") && isNumeric(pathInfo.type))) {
    const input = h("input", { id, type: "number", step: LENGTH.has(op) || pathInfo.type === "integer" ? "1" : "any", min: LENGTH.has(op) ? "0" : null,
      value: typeof condition.value === "number" ? String(condition.value) : "", readOnly: view.readOnly,
      oninput: () => set(input.value === "" ? null : Number(input.value)) });
    return input;
  }
  if (LISTS.has(op)) {
    const lines = Array.isArray(condition.value) ? condition.value.map(formatScalar).join("\n") : "";
    const area = h("textarea", { id, rows: "3", value: lines, readOnly: view.readOnly, "aria-describedby": id + "-hint",
      oninput: () => set(area.value.split("\n").filter((l) => l.trim() !== "").map((l) => parseScalar(l.trim(), pathInfo.type))) });
    return h("span", { class: "pe-list-value" }, area, h("small", { id: id + "-hint" }, "one value per line"));
  }
  if ((op === "eq" || op === "neq" || op === "contains") && Array.isArray(pathInfo.enum)) {
    const options = pathInfo.enum.map((v) => [formatScalar(v), formatScalar(v)]);
    return select(id, [["", "choose…"], ...options], condition.value === undefined ? "" : formatScalar(condition.value),
      (v) => set(pathInfo.enum.find((e) => formatScalar(e) === v)), view.readOnly);
  }
  const input = h("input", { id, type: "text", spellcheck: "false", value: condition.value === undefined || condition.value === null ? "" : formatScalar(condition.value),
    readOnly: view.readOnly, oninput: () => set(op === "regex" || pathInfo.type === "string" ? input.value : parseScalar(input.value, pathInfo.type)) });
  return input;
}

function isNumeric(type) {
  return type === "number" || type === "integer";
}

function formatScalar(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Text typed for an argument of `type`: a string stays a string; otherwise numbers, booleans and null are read as such. */
function parseScalar(text, type) {
  if (type === "string") return text;
  if (text === "true" || text === "false") return text === "true";
  if (text === "null") return null;
  if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

/** Keeps what still fits when the operator changes, else the operator's neutral value. */
function convertValue(value, op, pathInfo) {
  if (op === "exists") return typeof value === "boolean" ? value : true;
  if (NUMERIC.has(op)) return typeof value === "number" ? value : null;
  if (LENGTH.has(op)) return Number.isInteger(value) && value >= 0 ? value : null;
  if (LISTS.has(op)) return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  if (op === "regex") return typeof value === "string" ? value : "";
  if (Array.isArray(value)) return value[0] ?? (pathInfo.type === "string" ? "" : null);
  return value === undefined ? (pathInfo.type === "boolean" ? true : pathInfo.type === "string" ? "" : null) : value;
}

/** A new condition on the first argument offered, or an empty path to pick. */
export function newCondition(paths) {
  const first = paths[0];
  if (!first) return { path: "", op: "eq", value: "" };
  if (first.type === "boolean") return { path: first.path, op: "eq", value: true };
  if (isNumeric(first.type)) return { path: first.path, op: "lte", value: null };
  return { path: first.path, op: "eq", value: "" };
}
