// The compliance UI: a frame with the navigation, and the view the hash names.
import { html } from 'htm/preact';
import { render } from 'preact';
import './style.css';
import { useRoute } from './router.js';
import { Dashboard } from './views/dashboard.js';
import { Namespace, Namespaces } from './views/namespaces.js';
import { Policies, Policy } from './views/policies.js';
import { Resource, Resources } from './views/resources.js';
import { Page } from './components/ui.js';

const NAV = [
  { section: '', label: 'Overview', icon: '◧' },
  { section: 'namespaces', label: 'Namespaces', icon: '▤' },
  { section: 'policies', label: 'Policies', icon: '⛨' },
  { section: 'resources', label: 'Resources', icon: '☰' },
];

function View({ segments, query }) {
  const [section, id, ...rest] = segments;
  if (rest.length === 0) {
    if (!section) return html`<${Dashboard} />`;
    if (section === 'namespaces') return id ? html`<${Namespace} key=${id} namespace=${id} query=${query} />` : html`<${Namespaces} query=${query} />`;
    if (section === 'policies') return id ? html`<${Policy} key=${id} policy=${id} query=${query} />` : html`<${Policies} query=${query} />`;
    if (section === 'resources') return id ? html`<${Resource} key=${id} uid=${id} />` : html`<${Resources} query=${query} />`;
  }
  return html`<${Page} testid="view-missing" title="Page not found" error=${{ status: 404, message: `Nothing at #/${segments.join('/')}.` }} />`;
}

function App() {
  const route = useRoute();
  const current = route.segments[0] || '';
  return html`<div class="shell">
    <aside class="sidebar">
      <a class="brand" href="#/">
        <svg viewBox="0 0 16 16" width="22" height="22" aria-hidden="true"><path d="M8 1l6 2.5v4.2c0 3.6-2.6 6.3-6 7.3-3.4-1-6-3.7-6-7.3V3.5z" fill="currentColor"/></svg>
        <span>Kubewarden<small>Compliance</small></span>
      </a>
      <nav class="nav" data-testid="nav">
        ${NAV.map(
          (item) => html`<a key=${item.section} href=${`#/${item.section}`} data-testid=${`nav-${item.section || 'overview'}`}
            class=${item.section === current ? 'active' : ''}><span class="icon">${item.icon}</span>${item.label}</a>`,
        )}
      </nav>
      <p class="sidebar-foot">Results of the audit scanner's PolicyReports.</p>
    </aside>
    <main class="main"><${View} segments=${route.segments} query=${route.query} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
