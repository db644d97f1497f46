// #/namespaces: every namespace's summary; #/namespaces/<ns>: one namespace's resources and trend.
import { html } from 'htm/preact';
import { filtersOf } from '../api.js';
import { count } from '../format.js';
import { useApi } from '../hooks.js';
import { href, navigate } from '../router.js';
import { Card, Page, Pager, ResultTiles, pageOf } from '../components/ui.js';
import { FilterBar } from '../components/filters.js';
import { NamespacesTable, ResourcesTable } from '../components/tables.js';
import { TrendChart } from '../components/trend.js';
import { SortSelect } from '../components/sort.js';

const PER_PAGE = 50;

export function Namespaces({ query }) {
  const page = pageOf(query);
  const sort = query.sort || 'fail';
  const { data, loading, error } = useApi({
    namespaces: ['namespaces', { ...filtersOf(query), sort, page, per_page: PER_PAGE }],
  });
  const link = (q) => href(['namespaces'], q);
  return html`<${Page} testid="view-namespaces" title="Namespaces" loading=${loading} error=${error}
    subtitle="Results of the resources in each namespace. Cluster-scoped resources are under Resources."
    actions=${html`<${SortSelect} value=${sort} options=${{ fail: 'Most failures', name: 'Name' }}
      onChange=${(s) => navigate(link({ ...query, sort: s, page: '' }))} />`}>
    ${data &&
    html`<${Card} testid="namespaces-card">
      <${NamespacesTable} items=${data.namespaces.items} />
      <${Pager} total=${data.namespaces.total} page=${page} perPage=${PER_PAGE} linkOf=${(p) => link({ ...query, page: p })} />
    <//>`}
  <//>`;
}

export function Namespace({ namespace, query }) {
  const page = pageOf(query);
  const sort = query.sort || 'fail';
  const filters = { ...filtersOf(query), namespace };
  const { data, loading, error } = useApi({
    summary: ['summary', { namespace }],
    history: ['history', { namespace }],
    resources: ['resources', { ...filters, sort, page, per_page: PER_PAGE }],
  });
  const link = (q) => href(['namespaces', namespace], q);
  return html`<${Page} testid="view-namespace" title=${namespace} loading=${loading} error=${error}
    crumbs=${[{ href: href(['namespaces']), label: 'Namespaces' }]}
    subtitle=${data && `${count(data.summary.resources)} resources checked by ${count(data.summary.policies)} policies`}>
    ${data &&
    html`
      <${ResultTiles} totals=${data.summary.totals} linkOf=${(r) => link({ result: r })} />
      <${Card} title="Results over time" testid="trend-card">
        <${TrendChart} items=${data.history.items} height=${180} />
      <//>
      <${Card} title="Resources" testid="namespace-resources"
        extra=${html`<${SortSelect} value=${sort} options=${{ fail: 'Most failures', name: 'Name' }}
          onChange=${(s) => navigate(link({ ...query, sort: s, page: '' }))} />`}>
        <${FilterBar} query=${query} hide=${['namespace']} onChange=${(q) => navigate(link(q))} />
        <${ResourcesTable} items=${data.resources.items} showNamespace=${false} />
        <${Pager} total=${data.resources.total} page=${page} perPage=${PER_PAGE} linkOf=${(p) => link({ ...query, page: p })} />
      <//>
    `}
  <//>`;
}
