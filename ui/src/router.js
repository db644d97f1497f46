// Hash routing: `#/resources?namespace=a&page=2` is the path segments ['resources'] and the query
// {namespace: 'a', page: '2'}. Hash routes keep deep links working without server rewrites.
import { useEffect, useState } from 'preact/hooks';

export function parseHash(hash) {
  const text = (hash || '').replace(/^#/, '') || '/';
  const at = text.indexOf('?');
  const path = at < 0 ? text : text.slice(0, at);
  const query = {};
  if (at >= 0) {
    for (const [key, value] of new URLSearchParams(text.slice(at + 1))) query[key] = value;
  }
  const segments = path.split('/').filter(Boolean).map(safeDecode);
  return { segments, query, hash: hash || '' };
}

function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// A link to `segments` with `query` (empty values left out).
export function href(segments, query = {}) {
  const path = '/' + segments.map((s) => encodeURIComponent(s)).join('/');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(link, { replace = false } = {}) {
  if (replace) {
    history.replaceState(null, '', link);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = link.slice(1);
  }
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
