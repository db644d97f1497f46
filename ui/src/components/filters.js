// The filter bar: one select per facet (values from /api/v1/filters), the result, and a search
// box. Every change becomes the hash's query, back at page 1.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { RESULTS } from '../api.js';
import { useApi } from '../hooks.js';
import { namespaceLabel } from '../format.js';

const FACETS = [
  { key: 'namespace', label: 'Namespace', values: 'namespaces' },
  { key: 'policy', label: 'Policy', values: 'policies' },
  { key: 'kind', label: 'Kind', values: 'kinds' },
  { key: 'severity', label: 'Severity', values: 'severities' },
  { key: 'category', label: 'Category', values: 'categories' },
];

// `hide` leaves out the facets a view fixes itself (the namespace on a namespace's page).
export function FilterBar({ query, onChange, hide = [] }) {
  const { data } = useApi({ filters: ['filters', {}] });
  const values = data ? data.filters : {};
  const set = (key, value) => onChange({ ...query, [key]: value, page: '' });
  const active = ['result', 'search', ...FACETS.map((f) => f.key)].filter((k) => query[k] && !hide.includes(k));
  return html`<form class="filters" data-testid="filters" onSubmit=${(e) => e.preventDefault()}>
    <${SearchBox} value=${query.search || ''} onSearch=${(text) => set('search', text)} placeholder="Name, namespace, kind, policy or message" />
    ${FACETS.filter((f) => !hide.includes(f.key)).map((facet) => {
      const options = [...(values[facet.values] || [])];
      // A value from a link stays selectable even before (or without) the list of values.
      if (query[facet.key] && !options.includes(query[facet.key])) options.unshift(query[facet.key]);
      return html`<label class="field" key=${facet.key}>
        <span>${facet.label}</span>
        <select data-testid=${`filter-${facet.key}`} value=${query[facet.key] || ''}
          onChange=${(e) => set(facet.key, e.currentTarget.value)}>
          <option value="">All</option>
          ${options.map(
            (v) => html`<option value=${v} key=${v}>${facet.key === 'namespace' ? namespaceLabel(v) : v || '(none)'}</option>`,
          )}
        </select>
      </label>`;
    })}
    <label class="field">
      <span>Result</span>
      <select data-testid="filter-result" value=${query.result || ''} onChange=${(e) => set('result', e.currentTarget.value)}>
        <option value="">All</option>
        ${RESULTS.map((r) => html`<option value=${r} key=${r}>${r}</option>`)}
      </select>
    </label>
    ${active.length > 0 &&
    html`<button type="button" class="link-button" data-testid="filters-clear"
      onClick=${() => onChange(Object.fromEntries(Object.entries(query).filter(([k]) => hide.includes(k))))}>
      Clear filters
    </button>`}
  </form>`;
}

// Searches as one types, a moment after the last key, and at once on Enter.
export function SearchBox({ value, onSearch, placeholder }) {
  const [text, setText] = useState(value);
  const timer = useRef(0);
  useEffect(() => setText(value), [value]);
  const commit = (next) => {
    clearTimeout(timer.current);
    if (next !== value) onSearch(next);
  };
  return html`<label class="field field-search">
    <span>Search</span>
    <input type="search" placeholder=${placeholder} data-testid="filter-search"
      value=${text}
      onInput=${(e) => {
        const next = e.currentTarget.value;
        setText(next);
        clearTimeout(timer.current);
        timer.current = setTimeout(() => commit(next), 300);
      }}
      onKeyDown=${(e) => e.key === 'Enter' && commit(e.currentTarget.value)} />
  </label>`;
}
