// The condition paths a person can pick for a tool: its inputSchema's properties as `args.a.b`
// (nested objects a few levels deep), then the identity and session paths of the language.

const MAX_DEPTH = 3;
const MAX_PATHS = 200;

/** `[{ path, type, enum?, description? }]` from a JSON Schema object; anything unexpected yields nothing. */
export function argumentPaths(inputSchema) {
  const result = [];
  function walk(schema, prefix, depth) {
    if (!isSchema(schema) || depth > MAX_DEPTH || !isSchema(schema.properties)) return;
    for (const [name, property] of Object.entries(schema.properties)) {
      if (result.length >= MAX_PATHS || name === "" || name.includes(".")) continue;
      const path = prefix + "." + name;
      const type = typeOf(property);
      result.push({ path, type, enum: Array.isArray(property?.enum) ? property.enum : undefined, description: stringOrUndefined(property?.description) });
      if (type === "object") walk(property, path, depth + 1);
    }
  }
  walk(inputSchema, "args", 1);
  return result;
}

export const CONTEXT_PATHS = [
  { path: "identity.label", type: "string" },
  { path: "session.id", type: "string" },
];

/** Every tool's argument paths, for `all_tools` rules; a path typed differently by two tools loses its type. */
export function unionOfPaths(tools) {
  const byPath = new Map();
  for (const tool of tools) {
    for (const entry of argumentPaths(tool.definition?.inputSchema)) {
      const known = byPath.get(entry.path);
      if (known === undefined) byPath.set(entry.path, { ...entry, description: undefined });
      else if (known.type !== entry.type) byPath.set(entry.path, { path: entry.path, type: "any" });
    }
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path)).slice(0, MAX_PATHS);
}

function isSchema(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function stringOrUndefined(value) {
  return typeof value === "string" ? value : undefined;
}

/** The JSON type a property holds: its `type` (the first non-null of a list), or what its `enum` holds. */
export function typeOf(property) {
  if (!isSchema(property)) return "any";
  const type = Array.isArray(property.type) ? property.type.find((t) => t !== "null") : property.type;
  if (typeof type === "string") return type;
  if (Array.isArray(property.enum) && property.enum.length > 0) {
    const kinds = new Set(property.enum.map((v) => typeof v));
    if (kinds.size === 1) return { string: "string", number: "number", boolean: "boolean" }[[...kinds][0]] ?? "any";
  }
  return "any";
}
