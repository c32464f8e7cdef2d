// RFC 6901 JSON Pointers, the language of the API's validation errors and of the engine's rule
// names (`/tools/stop-pod/limits/0`). Tool names may hold `/` and `~`, so segments are escaped.

export function escapeSegment(segment) {
  return String(segment).replace(/~/g, "~0").replace(/\//g, "~1");
}

export function pointer(...segments) {
  return segments.map((s) => "/" + escapeSegment(s)).join("");
}

export function child(base, ...segments) {
  return base + pointer(...segments);
}

export function segments(text) {
  if (text === "") return [];
  return text.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The policy API reports document problems under `/document`; the editor's pointers start at the document. */
export function documentPointer(apiPointer) {
  if (apiPointer === "/document") return "";
  return apiPointer.startsWith("/document/") ? apiPointer.slice("/document".length) : null;
}

/** `/a/b/c`, `/a/b`, `/a`, `` : where to show an error whose exact field has no control. */
export function ancestors(text) {
  const parts = segments(text);
  const result = [];
  for (let n = parts.length; n >= 0; n -= 1) result.push(pointer(...parts.slice(0, n)));
  return result;
}
