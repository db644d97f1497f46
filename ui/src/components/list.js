// A list view of one API endpoint (namespaces, policies): sorted, filtered by the hash's query
// and paged by the server.
import { html } from 'htm/preact';
import { filtersOf } from '../api.js';
import { useApi } from '../hooks.js';
import { href, navigate } from '../router.js';
import { SortSelect, SORT_OPTIONS } from './sort.js';
import { Card, Page, Pager, pageOf } from './ui.js';
import { SearchBox } from './filters.js';

export const PER_PAGE = 50;

export function ListView({ endpoint, title, subtitle, searchHint, Table, query }) {
  const page = pageOf(query);
  const sort = query.sort || 'fail';
  const { data, loading, error } = useApi({
    list: [endpoint, { ...filtersOf(query), sort, page, per_page: PER_PAGE }],
  });
  const link = (q) => href([endpoint], q);
  return html`<${Page} testid=${`view-${endpoint}`} title=${title} subtitle=${subtitle} loading=${loading} error=${error}
    actions=${html`<${SearchBox} value=${query.search || ''} placeholder=${searchHint}
        onSearch=${(text) => navigate(link({ ...query, search: text, page: '' }))} />
      <${SortSelect} value=${sort} options=${SORT_OPTIONS}
        onChange=${(s) => navigate(link({ ...query, sort: s, page: '' }))} />`}>
    ${data &&
    html`<${Card} testid=${`${endpoint}-card`}>
      <${Table} items=${data.list.items} />
      <${Pager} total=${data.list.total} page=${page} perPage=${PER_PAGE} linkOf=${(p) => link({ ...query, page: p })} />
    <//>`}
  <//>`;
}
