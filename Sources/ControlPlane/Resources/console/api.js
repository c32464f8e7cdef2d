// The console's one way to the /v1 API (issue 12): same-origin fetch with the session cookie, the
// CSRF header the control plane requires of every state-changing cookie request, JSON in and out.

/** A non-2xx answer: `status` and the problem+json document as the API sent it (`problem.errors`
 *  holds `{pointer, message}` per rejected field). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  /** The messages of the fields whose JSON Pointer is `pointer` or lies under it. */
  fieldErrors(pointer) {
    return (this.problem?.errors || []).filter(e => e.pointer === pointer || e.pointer.startsWith(pointer + '/'));
  }
}

// The server refuses a cookie-authenticated POST, PATCH, PUT or DELETE without it (docs/console.md):
// a cross-site form cannot set a header, and a cross-site script would need CORS, which /v1 never grants.
export const CSRF_HEADER = 'X-Portcullis-CSRF';

/** `api('GET', '/v1/servers')`; returns the parsed JSON, null for 204, or throws `ApiError`. */
export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json', [CSRF_HEADER]: '1' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { title: 'Network error', status: 0, detail: 'The control plane cannot be reached.' });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : { title: response.statusText, status: response.status };
    if (response.status === 401) window.dispatchEvent(new CustomEvent('portcullis:unauthorized'));
    throw new ApiError(response.status, problem);
  }
  return data;
}

/** A query string from an object, skipping empty values: `query({limit: 50, tool: ''})` → `?limit=50`. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
