// #/resources: every resource with results, filtered and paged by the server;
// #/resources/<uid>: one resource and every result about it.
import { html } from 'htm/preact';
import { RESULTS, filtersOf } from '../api.js';
import { count, dateTime } from '../format.js';
import { useApi } from '../hooks.js';
import { href, navigate } from '../router.js';
import { Card, Empty, Page, Pager, ResultBadge, ResultTiles, SeverityTag, pageOf } from '../components/ui.js';
import { FilterBar } from '../components/filters.js';
import { NamespaceLink, PolicyLink, ResourcesTable } from '../components/tables.js';
import { SortSelect, SORT_OPTIONS } from '../components/sort.js';

const RANK = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };
const PER_PAGE_CHOICES = [25, 50, 100, 200];

export function Resources({ query }) {
  const page = pageOf(query);
  const sort = query.sort || 'fail';
  // Any size the API takes can come from a link; the select offers the usual ones.
  const asked = parseInt(query.per_page, 10);
  const perPage = asked >= 1 && asked <= 500 ? asked : 50;
  const choices = PER_PAGE_CHOICES.includes(perPage) ? PER_PAGE_CHOICES : [...PER_PAGE_CHOICES, perPage].sort((a, b) => a - b);
  const { data, loading, error } = useApi({
    resources: ['resources', { ...filtersOf(query), sort, page, per_page: perPage }],
  });
  const link = (q) => href(['resources'], q);
  return html`<${Page} testid="view-resources" title="Resources" loading=${loading} error=${error}
    subtitle=${data && html`<span data-testid="resources-total">${count(data.resources.total)}</span> resources match`}
    actions=${html`<${SortSelect} value=${sort} options=${SORT_OPTIONS}
      onChange=${(s) => navigate(link({ ...query, sort: s, page: '' }))} />
      <label class="field inline"><span>Per page</span>
        <select data-testid="per-page" value=${perPage} onChange=${(e) => navigate(link({ ...query, per_page: e.currentTarget.value, page: '' }))}>
          ${choices.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}
        </select></label>`}>
    <${FilterBar} query=${query} onChange=${(q) => navigate(link(q))} />
    ${data &&
    html`<${Card} testid="resources-card">
      <${ResourcesTable} items=${data.resources.items} />
      <${Pager} total=${data.resources.total} page=${page} perPage=${perPage} linkOf=${(p) => link({ ...query, page: p })} />
    <//>`}
  <//>`;
}

export function Resource({ uid }) {
  const { data, loading, error } = useApi({ resource: ['resources/' + encodeURIComponent(uid), {}] });
  const resource = data && data.resource.resource;
  const results = data ? data.resource.results : [];
  const totals = Object.fromEntries(RESULTS.map((r) => [r, results.filter((x) => x.result === r).length]));
  // Failures first: they are what an operator opens this page for.
  const ordered = [...results].sort((a, b) => RANK[a.result] - RANK[b.result] || a.policy.localeCompare(b.policy));
  return html`<${Page} testid="view-resource" loading=${loading} error=${error}
    title=${resource ? html`<span class="kind">${resource.kind}</span> ${resource.name}` : 'Resource'}
    crumbs=${[{ href: href(['resources']), label: 'Resources' }].concat(
      resource && resource.namespace ? [{ href: href(['namespaces', resource.namespace]), label: resource.namespace }] : [],
    )}>
    ${resource &&
    html`
      <dl class="facts" data-testid="resource-facts">
        <div><dt>Kind</dt><dd>${resource.kind}</dd></div>
        <div><dt>API version</dt><dd>${resource.apiVersion}</dd></div>
        <div><dt>Namespace</dt><dd><${NamespaceLink} namespace=${resource.namespace} /></dd></div>
        <div><dt>Name</dt><dd data-testid="resource-name">${resource.name}</dd></div>
        <div><dt>UID</dt><dd><code>${resource.uid}</code></dd></div>
      </dl>
      <${ResultTiles} totals=${totals} />
      <${Card} title=${`Results (${count(results.length)})`} testid="resource-results">
        ${ordered.length === 0
          ? html`<${Empty}>No result for this resource.<//>`
          : html`<table class="table" data-testid="results-table">
              <thead><tr><th>Result</th><th>Policy</th><th>Severity</th><th>Category</th><th>Message</th><th>Checked</th></tr></thead>
              <tbody>
                ${ordered.map(
                  (r, i) => html`<tr key=${i} data-testid="row">
                    <td><${ResultBadge} result=${r.result} /></td>
                    <td class="strong"><${PolicyLink} policy=${r.policy} />${r.rule && html`<div class="muted small">rule ${r.rule}</div>`}</td>
                    <td><${SeverityTag} severity=${r.severity} /></td>
                    <td>${r.category || html`<span class="muted">–</span>`}</td>
                    <td class="message" data-testid="result-message">${r.message || html`<span class="muted">–</span>`}
                      <${Properties} properties=${r.properties} /></td>
                    <td class="nowrap small">${dateTime(r.timestamp)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      <//>
    `}
  <//>`;
}

function Properties({ properties }) {
  const entries = Object.entries(properties || {});
  if (entries.length === 0) return null;
  return html`<details class="props"><summary>properties</summary>
    <dl>${entries.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${String(v)}</dd></div>`)}</dl>
  </details>`;
}
