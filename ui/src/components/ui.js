// The building blocks every view uses: the page frame, result counts, bars and badges, tables'
// empty/error states and pagination.
import { html } from 'htm/preact';
import { RESULTS } from '../api.js';
import { count, percent, totalOf } from '../format.js';
import { href } from '../router.js';

// The frame of a view. data-state tells tests (and screen readers, through aria-busy) when the
// view shows the answer to its current parameters.
export function Page({ title, subtitle, crumbs = [], actions, loading, error, children, testid }) {
  return html`
    <section class="page" data-testid=${testid} data-state=${loading ? 'loading' : error ? 'error' : 'ready'}
      aria-busy=${loading ? 'true' : 'false'}>
      <header class="page-header">
        ${crumbs.length > 0 &&
        html`<nav class="crumbs" data-testid="breadcrumbs">
          ${crumbs.map((c, i) => html`<a href=${c.href} key=${i}>${c.label}</a><span class="sep">/</span>`)}
        </nav>`}
        <div class="title-row">
          <div>
            <h1 data-testid="page-title">${title}</h1>
            ${subtitle && html`<p class="subtitle">${subtitle}</p>`}
          </div>
          ${actions && html`<div class="actions">${actions}</div>`}
        </div>
      </header>
      ${error ? html`<${ErrorBox} error=${error} />` : children}
    </section>`;
}

export function ErrorBox({ error }) {
  return html`<div class="error-box" data-testid="error" role="alert">
    <strong>${error.status === 404 ? 'Not found' : 'Could not load this page'}</strong>
    <span>${error.message}</span>
  </div>`;
}

export function Card({ title, children, extra, class: className = '', testid }) {
  return html`<div class=${`card ${className}`} data-testid=${testid}>
    ${title && html`<div class="card-head"><h2>${title}</h2>${extra}</div>`}
    <div class="card-body">${children}</div>
  </div>`;
}

const LABELS = { pass: 'Pass', fail: 'Fail', warn: 'Warn', error: 'Error', skip: 'Skip' };

// Five tiles, one per result, each a link to the matching results when `linkOf` is given.
export function ResultTiles({ totals, linkOf }) {
  const all = totalOf(totals);
  return html`<div class="tiles">
    ${RESULTS.map((r) => {
      const body = html`<span class="tile-label">${LABELS[r]}</span>
        <span class="tile-value" data-testid=${`total-${r}`}>${count(totals[r])}</span>
        <span class="tile-share">${percent(totals[r] || 0, all)} of ${count(all)}</span>`;
      return linkOf
        ? html`<a class=${`tile tile-${r}`} href=${linkOf(r)} key=${r}>${body}</a>`
        : html`<div class=${`tile tile-${r}`} key=${r}>${body}</div>`;
    })}
  </div>`;
}

export function ResultBadge({ result }) {
  return html`<span class=${`badge badge-${result}`} data-testid="result-badge">${result}</span>`;
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info', ''];

export function SeverityTag({ severity }) {
  if (!severity) return html`<span class="muted">–</span>`;
  return html`<span class=${`sev sev-${SEVERITY_ORDER.includes(severity) ? severity : 'other'}`}>${severity}</span>`;
}

export function compareSeverity(a, b) {
  const rank = (s) => (SEVERITY_ORDER.indexOf(s) < 0 ? SEVERITY_ORDER.length - 1.5 : SEVERITY_ORDER.indexOf(s));
  return rank(a) - rank(b) || a.localeCompare(b);
}

// A thin stacked bar: the share of each result.
export function ResultBar({ counts, wide }) {
  const all = totalOf(counts);
  return html`<div class=${`bar ${wide ? 'bar-wide' : ''}`} title=${RESULTS.map((r) => `${r} ${counts[r] || 0}`).join(', ')}>
    ${all === 0
      ? html`<span class="bar-empty"></span>`
      : RESULTS.filter((r) => counts[r]).map(
          (r) => html`<span class=${`bar-${r}`} style=${{ width: `${(100 * counts[r]) / all}%` }} key=${r}></span>`,
        )}
  </div>`;
}

// The five counts as compact numbers in a table row; zero reads faint so the non-zero stand out.
export function CountCells({ counts, linkOf, results = RESULTS }) {
  return results.map((r) => {
    const n = counts[r] || 0;
    const text = count(n);
    return html`<td class=${`num ${n ? `c-${r}` : 'zero'}`} data-testid=${`cell-${r}`} key=${r}>
      ${linkOf && n ? html`<a href=${linkOf(r)}>${text}</a>` : text}
    </td>`;
  });
}

export function CountHeads({ results = RESULTS }) {
  return results.map((r) => html`<th class="num" key=${r}>${LABELS[r]}</th>`);
}

export function Empty({ children }) {
  return html`<div class="empty" data-testid="empty">${children}</div>`;
}

// Pagination as links, so that every page of a list is a URL.
export function Pager({ total, page, perPage, linkOf }) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const first = total === 0 ? 0 : (page - 1) * perPage + 1;
  const last = Math.min(total, page * perPage);
  const link = (p, label, testid, disabled) =>
    disabled
      ? html`<span class="pager-btn disabled" data-testid=${testid}>${label}</span>`
      : html`<a class="pager-btn" href=${linkOf(p)} data-testid=${testid}>${label}</a>`;
  return html`<div class="pager" data-testid="pager">
    <span class="pager-info" data-testid="pager-info">${count(first)}–${count(last)} of ${count(total)}</span>
    <span class="pager-nav">
      ${link(1, '« First', 'pager-first', page <= 1)}
      ${link(page - 1, '‹ Prev', 'pager-prev', page <= 1)}
      <span class="pager-page" data-testid="pager-page">Page ${count(page)} of ${count(pages)}</span>
      ${link(page + 1, 'Next ›', 'pager-next', page >= pages)}
      ${link(pages, 'Last »', 'pager-last', page >= pages)}
    </span>
  </div>`;
}

export function pageOf(query) {
  const page = parseInt(query.page || '1', 10);
  return Number.isFinite(page) && page > 0 ? page : 1;
}

export function nsLink(namespace) {
  return namespace ? href(['namespaces', namespace]) : null;
}
