// How numbers, times and scopes read on the page.

const numbers = new Intl.NumberFormat('en-US');

export function count(n) {
  return numbers.format(n || 0);
}

export function percent(part, whole) {
  if (!whole) return '–';
  const value = (100 * part) / whole;
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}

export function dateTime(value) {
  const date = toDate(value);
  if (!date) return '–';
  return date.toLocaleString('en-GB', {
    year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

export function ago(value, now = Date.now()) {
  const date = toDate(value);
  if (!date) return '';
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

// Report timestamps are RFC 3339 strings or {seconds, nanos} objects (PolicyReport results).
export function toDate(value) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'object' && 'seconds' in value) return new Date(Number(value.seconds) * 1000);
  const date = new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function namespaceLabel(namespace) {
  return namespace ? namespace : 'cluster-scoped';
}

export function totalOf(counts) {
  return (counts.pass || 0) + (counts.fail || 0) + (counts.warn || 0) + (counts.error || 0) + (counts.skip || 0);
}
