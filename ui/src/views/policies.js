// #/policies: every policy's results; #/policies/<policy>: what one policy fails, and where.
import { html } from 'htm/preact';
import { RESULTS, filtersOf } from '../api.js';
import { count } from '../format.js';
import { useApi } from '../hooks.js';
import { href } from '../router.js';
import { Card, Page, Pager, SeverityTag, pageOf } from '../components/ui.js';
import { NamespacesTable, PoliciesTable, ResultsTable } from '../components/tables.js';
import { TotalsAndTrend } from '../components/trend.js';
import { ListView, PER_PAGE } from '../components/list.js';

export function Policies({ query }) {
  return html`<${ListView} endpoint="policies" title="Policies" Table=${PoliciesTable} query=${query}
    searchHint="Search policies, resources, messages"
    subtitle="Every policy that has results in the reports, with how the resources it checks fare." />`;
}

// The result tab shown first: what the policy fails; `all` lifts the filter.
const TABS = ['fail', ...RESULTS.filter((r) => r !== 'fail'), 'all'];

export function Policy({ policy, query }) {
  const page = pageOf(query);
  const tab = TABS.includes(query.result) ? query.result : 'fail';
  const result = tab === 'all' ? '' : tab;
  const { data, loading, error } = useApi({
    summary: ['summary', { policy }],
    history: ['history', { policy }],
    info: ['policies', { policy, per_page: 1 }],
    namespaces: ['namespaces', { policy, result, sort: 'fail', per_page: 500 }],
    results: ['results', { ...filtersOf(query), policy, result, sort: 'namespace', page, per_page: PER_PAGE }],
  });
  const link = (q) => href(['policies', policy], q);
  const info = data && data.info.items[0];
  return html`<${Page} testid="view-policy" title=${policy} loading=${loading} error=${error}
    crumbs=${[{ href: href(['policies']), label: 'Policies' }]}
    subtitle=${info &&
    html`<span class="meta-line"><${SeverityTag} severity=${info.severity} />
      ${info.category && html`<span class="chip">${info.category}</span>`}
      <span>${count(data.summary.resources)} resources in ${count(info.namespaces)} namespaces</span></span>`}>
    ${data &&
    html`
      <${TotalsAndTrend} totals=${data.summary.totals} history=${data.history.items} linkOf=${(r) => link({ result: r })} />
      <div class="tabs" data-testid="result-tabs">
        ${TABS.map(
          (t) => html`<a key=${t} href=${link({ result: t })} class=${`tab ${t === tab ? 'active' : ''}`}
            data-testid=${`tab-${t}`}>${t === 'all' ? 'All results' : t}
            <span class="tab-count">${count(t === 'all' ? sum(data.summary.totals) : data.summary.totals[t])}</span></a>`,
        )}
      </div>
      <div class="grid-policy">
        <${Card} title=${`Where (${result || 'all results'})`} testid="policy-namespaces">
          <${NamespacesTable} items=${data.namespaces.items} linkQuery=${{ policy }} results=${result ? [result] : ['pass', 'fail']} />
        <//>
        <${Card} title=${`Resources (${result || 'all results'})`} testid="policy-results">
          <${ResultsTable} items=${data.results.items} showPolicy=${false} />
          <${Pager} total=${data.results.total} page=${page} perPage=${PER_PAGE} linkOf=${(p) => link({ ...query, page: p })} />
        <//>
      </div>
    `}
  <//>`;
}

function sum(totals) {
  return RESULTS.reduce((n, r) => n + (totals[r] || 0), 0);
}
