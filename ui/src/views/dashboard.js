// #/ : the whole cluster at a glance.
import { html } from 'htm/preact';
import { ago, count, dateTime } from '../format.js';
import { useApi } from '../hooks.js';
import { href } from '../router.js';
import { Card, CountCells, CountHeads, Empty, Page, ResultBar, ResultTiles, SeverityTag, compareSeverity } from '../components/ui.js';
import { TrendChart } from '../components/trend.js';
import { NamespaceLink, PolicyLink } from '../components/tables.js';

const TOP = 8;

export function Dashboard() {
  const { data, loading, error } = useApi({
    summary: ['summary', {}],
    history: ['history', {}],
    policies: ['policies', { sort: 'fail', per_page: TOP }],
    namespaces: ['namespaces', { sort: 'fail', per_page: TOP }],
  });
  const summary = data && data.summary;
  return html`<${Page} testid="view-dashboard" title="Compliance overview" loading=${loading} error=${error}
    subtitle=${summary && html`<${LastScan} scan=${summary.last_scan} />`}>
    ${summary &&
    html`
      <${ResultTiles} totals=${summary.totals} linkOf=${(r) => href(['resources'], { result: r })} />
      <div class="stats" data-testid="stats">
        <a class="stat" href=${href(['resources'])}><span data-testid="stat-resources">${count(summary.resources)}</span> resources</a>
        <a class="stat" href=${href(['namespaces'])}><span data-testid="stat-namespaces">${count(summary.namespaces)}</span> namespaces</a>
        <a class="stat" href=${href(['policies'])}><span data-testid="stat-policies">${count(summary.policies)}</span> policies</a>
      </div>
      <${Card} title="Results over time" testid="trend-card"
        extra=${html`<span class="muted small">${count(data.history.items.length)} scans</span>`}>
        <${TrendChart} items=${data.history.items} />
        <${RecentScans} items=${data.history.items} />
      <//>
      <div class="grid-2">
        <${Card} title="Top failing policies" testid="top-policies"
          extra=${html`<a href=${href(['policies'], { sort: 'fail' })} class="small">All policies →</a>`}>
          <${TopList} items=${data.policies.items} label=${(p) => html`<${PolicyLink} policy=${p.policy} />`}
            detail=${(p) => html`<${SeverityTag} severity=${p.severity} />`} />
        <//>
        <${Card} title="Top failing namespaces" testid="top-namespaces"
          extra=${html`<a href=${href(['namespaces'], { sort: 'fail' })} class="small">All namespaces →</a>`}>
          <${TopList} items=${data.namespaces.items} label=${(n) => html`<${NamespaceLink} namespace=${n.namespace} />`}
            detail=${(n) => html`<span class="muted small">${count(n.resources)} resources</span>`} />
        <//>
      </div>
      <div class="grid-2">
        <${Card} title="By severity" testid="by-severity">
          <${BreakdownTable} rows=${summary.by_severity} facet="severity" sort=${compareSeverity} />
        <//>
        <${Card} title="By category" testid="by-category">
          <${BreakdownTable} rows=${summary.by_category} facet="category" sort=${(a, b) => a.localeCompare(b)} />
        <//>
      </div>
    `}
  <//>`;
}

function LastScan({ scan }) {
  if (!scan) return html`<span data-testid="last-scan">No scan recorded yet</span>`;
  return html`<span data-testid="last-scan">Last scan ${dateTime(scan.time)} (${ago(scan.time)}) · run <code>${scan.run_uid}</code></span>`;
}

function TopList({ items, label, detail }) {
  const failing = items.filter((i) => i.fail > 0);
  if (failing.length === 0) return html`<${Empty}>Nothing fails. 🎉<//>`;
  const most = Math.max(...failing.map((i) => i.fail));
  return html`<ol class="top-list">
    ${failing.map(
      (item, k) => html`<li key=${k} data-testid="row">
        <div class="top-label">${label(item)} ${detail(item)}</div>
        <div class="top-bar"><span style=${{ width: `${(100 * item.fail) / most}%` }}></span></div>
        <div class="top-count c-fail" data-testid="top-fail">${count(item.fail)}</div>
      </li>`,
    )}
  </ol>`;
}

function BreakdownTable({ rows, facet, sort }) {
  const keys = Object.keys(rows || {}).sort(sort);
  if (keys.length === 0) return html`<${Empty}>No results.<//>`;
  return html`<table class="table compact" data-testid=${`${facet}-table`}>
    <thead><tr><th>${facet === 'severity' ? 'Severity' : 'Category'}</th><th class="bar-col"></th><${CountHeads} /></tr></thead>
    <tbody>
      ${keys.map(
        (key) => html`<tr key=${key} data-testid="row">
          <td>${facet === 'severity' ? html`<${SeverityTag} severity=${key} />` : key || html`<span class="muted">(none)</span>`}</td>
          <td class="bar-col"><${ResultBar} counts=${rows[key]} /></td>
          <${CountCells} counts=${rows[key]} linkOf=${(r) => href(['resources'], { [facet]: key, result: r })} />
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function RecentScans({ items }) {
  if (items.length === 0) return null;
  const recent = items.slice(-5).reverse();
  return html`<details class="scans">
    <summary>Recent scans</summary>
    <table class="table compact" data-testid="scans-table">
      <thead><tr><th>Time</th><th>Run</th><${CountHeads} /></tr></thead>
      <tbody>
        ${recent.map(
          (s) => html`<tr key=${s.run_uid} data-testid="row">
            <td>${dateTime(s.time)}</td><td><code class="small">${s.run_uid}</code></td><${CountCells} counts=${s} />
          </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}

