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

// Icons drawn inline (no icon font to ship): 16x16 strokes.
const ICONS = {
  overview: 'M2 2h5v7H2zM9 2h5v4H9zM9 8h5v6H9zM2 11h5v3H2z',
  namespaces: 'M1.5 4h5l1.5 1.5h6.5v8h-13z',
  policies: 'M8 1.5l5.5 2.2v3.8c0 3.3-2.3 5.6-5.5 6.9-3.2-1.3-5.5-3.6-5.5-6.9V3.7zM5.5 8l2 2 3.5-4',
  resources: 'M2 3.5h12M2 8h12M2 12.5h12',
};

const NAV = [
  { section: '', label: 'Overview', icon: 'overview' },
  { section: 'namespaces', label: 'Namespaces', icon: 'namespaces' },
  { section: 'policies', label: 'Policies', icon: 'policies' },
  { section: 'resources', label: 'Resources', icon: 'resources' },
];

function Icon({ name }) {
  return html`<svg class="icon" viewBox="0 0 16 16" aria-hidden="true">
    <path d=${ICONS[name]} fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" stroke-linecap="round" />
  </svg>`;
}

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
            class=${item.section === current ? 'active' : ''}><${Icon} name=${item.icon} />${item.label}</a>`,
        )}
      </nav>
      <p class="sidebar-foot">Results of the audit scanner's PolicyReports.</p>
    </aside>
    <main class="main" data-route=${route.hash}><${View} segments=${route.segments} query=${route.query} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
