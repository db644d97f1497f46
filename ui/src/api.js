// The compliance-ui JSON API (/api/v1/...): URLs from filter parameters, and fetching with errors
// that say what the server said.

export const RESULTS = ['pass', 'fail', 'warn', 'error', 'skip'];

// The filters every list and summary endpoint understands; the web app keeps them in the hash's
// query so that a view with its filters is a link.
export const FILTER_KEYS = ['namespace', 'policy', 'kind', 'severity', 'category', 'result', 'search'];

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Drops empty values so that "All" in a filter means "no parameter".
export function apiUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return `api/v1/${path}${text ? `?${text}` : ''}`;
}

export async function getJson(path, params, signal) {
  const response = await fetch(apiUrl(path, params), { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // A proxy's HTML error page, say: reported below with the status.
  }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.error) || `${response.status} ${response.statusText}`);
  }
  if (body === null) throw new ApiError(response.status, 'the server answered something that is not JSON');
  return body;
}

// The filter parameters of a route's query, nothing else (no page, sort, ...).
export function filtersOf(query) {
  const filters = {};
  for (const key of FILTER_KEYS) if (query[key]) filters[key] = query[key];
  return filters;
}
