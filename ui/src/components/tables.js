// The tables more than one view shows: resources with their counts, and results with messages.
import { html } from 'htm/preact';
import { count, namespaceLabel } from '../format.js';
import { href } from '../router.js';
import { CountCells, CountHeads, Empty, ResultBadge, ResultBar, SeverityTag } from './ui.js';

export function NamespaceLink({ namespace }) {
  return namespace
    ? html`<a href=${href(['namespaces', namespace])} data-testid="namespace-link">${namespace}</a>`
    : html`<span class="muted">${namespaceLabel(namespace)}</span>`;
}

export function PolicyLink({ policy }) {
  return html`<a href=${href(['policies', policy])} data-testid="policy-link">${policy}</a>`;
}

export function ResourcesTable({ items, showNamespace = true }) {
  if (items.length === 0) return html`<${Empty}>No resource matches these filters.<//>`;
  return html`<table class="table" data-testid="resources-table">
    <thead><tr>
      <th>Resource</th><th>Kind</th>${showNamespace && html`<th>Namespace</th>`}<th class="bar-col"></th><${CountHeads} />
    </tr></thead>
    <tbody>
      ${items.map(
        (r) => html`<tr key=${r.uid} data-testid="row">
          <td class="strong"><a href=${href(['resources', r.uid])} data-testid="resource-link">${r.name}</a></td>
          <td><span class="kind">${r.kind}</span> <span class="muted small">${r.apiVersion}</span></td>
          ${showNamespace && html`<td><${NamespaceLink} namespace=${r.namespace} /></td>`}
          <td class="bar-col"><${ResultBar} counts=${r} /></td>
          <${CountCells} counts=${r} />
        </tr>`,
      )}
    </tbody>
  </table>`;
}

// The flat results (/api/v1/results): what a policy says about which resource.
export function ResultsTable({ items, showPolicy = true }) {
  if (items.length === 0) return html`<${Empty}>No result matches these filters.<//>`;
  return html`<table class="table" data-testid="results-table">
    <thead><tr>
      <th>Result</th><th>Resource</th><th>Namespace</th>${showPolicy && html`<th>Policy</th><th>Severity</th>`}<th>Message</th>
    </tr></thead>
    <tbody>
      ${items.map(
        (r, i) => html`<tr key=${`${r.uid}/${r.policy}/${r.rule}/${i}`} data-testid="row">
          <td><${ResultBadge} result=${r.result} /></td>
          <td class="strong"><a href=${href(['resources', r.uid])} data-testid="resource-link">${r.name}</a>
            <div class="muted small">${r.kind}</div></td>
          <td><${NamespaceLink} namespace=${r.namespace} /></td>
          ${showPolicy && html`<td><${PolicyLink} policy=${r.policy} /></td><td><${SeverityTag} severity=${r.severity} /></td>`}
          <td class="message">${r.message || html`<span class="muted">–</span>`}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

// `results` narrows the count columns (a narrow card shows only the ones that matter there).
export function NamespacesTable({ items, linkQuery = {}, results }) {
  if (items.length === 0) return html`<${Empty}>No namespace matches.<//>`;
  return html`<table class="table" data-testid="namespaces-table">
    <thead><tr><th>Namespace</th><th class="num">Resources</th>${!results && html`<th class="bar-col"></th>`}<${CountHeads} results=${results} /></tr></thead>
    <tbody>
      ${items.map(
        (n) => html`<tr key=${n.namespace} data-testid="row">
          <td class="strong"><a href=${href(['namespaces', n.namespace], linkQuery)} data-testid="namespace-link">${n.namespace}</a></td>
          <td class="num">${count(n.resources)}</td>
          ${!results && html`<td class="bar-col"><${ResultBar} counts=${n} /></td>`}
          <${CountCells} counts=${n} results=${results} linkOf=${(r) => href(['resources'], { ...linkQuery, namespace: n.namespace, result: r })} />
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function PoliciesTable({ items }) {
  if (items.length === 0) return html`<${Empty}>No policy matches.<//>`;
  return html`<table class="table" data-testid="policies-table">
    <thead><tr><th>Policy</th><th>Severity</th><th>Category</th><th class="num">Namespaces</th><th class="bar-col"></th><${CountHeads} /></tr></thead>
    <tbody>
      ${items.map(
        (p) => html`<tr key=${p.policy} data-testid="row">
          <td class="strong"><${PolicyLink} policy=${p.policy} /></td>
          <td><${SeverityTag} severity=${p.severity} /></td>
          <td>${p.category || html`<span class="muted">–</span>`}</td>
          <td class="num">${count(p.namespaces)}</td>
          <td class="bar-col"><${ResultBar} counts=${p} /></td>
          <${CountCells} counts=${p} linkOf=${(r) => href(['policies', p.policy], { result: r })} />
        </tr>`,
      )}
    </tbody>
  </table>`;
}
