// #/namespaces: every namespace's summary; #/namespaces/<ns>: one namespace's resources and trend.
import { html } from 'htm/preact';
import { filtersOf } from '../api.js';
import { count } from '../format.js';
import { useApi } from '../hooks.js';
import { href, navigate } from '../router.js';
import { Card, Page, Pager, pageOf } from '../components/ui.js';
import { FilterBar } from '../components/filters.js';
import { NamespacesTable, ResourcesTable } from '../components/tables.js';
import { TotalsAndTrend } from '../components/trend.js';
import { SortSelect, SORT_OPTIONS } from '../components/sort.js';
import { ListView, PER_PAGE } from '../components/list.js';

export function Namespaces({ query }) {
  return html`<${ListView} endpoint="namespaces" title="Namespaces" Table=${NamespacesTable} query=${query}
    searchHint="Search resources, policies, messages"
    subtitle="Results of the resources in each namespace. Cluster-scoped resources are under Resources." />`;
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
      <${TotalsAndTrend} totals=${data.summary.totals} history=${data.history.items} linkOf=${(r) => link({ result: r })} />
      <${Card} title="Resources" testid="namespace-resources"
        extra=${html`<${SortSelect} value=${sort} options=${SORT_OPTIONS}
          onChange=${(s) => navigate(link({ ...query, sort: s, page: '' }))} />`}>
        <${FilterBar} query=${query} hide=${['namespace']} onChange=${(q) => navigate(link(q))} />
        <${ResourcesTable} items=${data.resources.items} showNamespace=${false} />
        <${Pager} total=${data.resources.total} page=${page} perPage=${PER_PAGE} linkOf=${(p) => link({ ...query, page: p })} />
      <//>
    `}
  <//>`;
}
