import { html } from 'htm/preact';

// The orders the list endpoints share (the API's `sort` values).
export const SORT_OPTIONS = { fail: 'Most failures', name: 'Name' };

// The order of a list; `options` maps the API's sort value to its label.
export function SortSelect({ value, options, onChange }) {
  return html`<label class="field inline">
    <span>Sort by</span>
    <select data-testid="sort" value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${Object.entries(options).map(([key, label]) => html`<option value=${key} key=${key}>${label}</option>`)}
    </select>
  </label>`;
}
