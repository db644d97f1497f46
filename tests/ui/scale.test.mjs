// 50,000 results (5,000 reports of 10 results, 50 namespaces, 10 policies): every page of the UI
// answers, ready and showing its data, within one second (issue 15 asks for this bound).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ComplianceUi, KubeDouble, inParallel, policyReport } from './lib/cluster.mjs';
import { launchBrowser, screenshot, settled } from './lib/browser.mjs';

const NAMESPACES = 50;
const PER_NAMESPACE = 100;
const POLICIES = Array.from({ length: 10 }, (_, j) => ({
  policy: `clusterwide-policy-${j}`,
  severity: ['high', 'medium', 'low', 'critical', 'info'][j % 5],
  category: ['PSP', 'Best practices', 'Supply chain'][j % 3],
}));
const LIMIT_MS = 1000;

const namespaceOf = (n) => `ns-${String(n).padStart(2, '0')}`;
const uidOf = (i) => `5ca1e000-0000-4000-8000-${String(i).padStart(12, '0')}`;

// Deterministic, mostly passing, with some of every other result.
function resultOf(i, j) {
  const h = (i * 31 + j * 17) % 20;
  if (h < 3) return 'fail';
  if (h === 3) return 'warn';
  if (h === 4) return 'skip';
  if (h === 5 && j === 9) return 'error';
  return 'pass';
}

function reportOf(i) {
  const deployment = i % 10 === 0;
  return policyReport({
    uid: uidOf(i),
    kind: deployment ? 'Deployment' : 'Pod',
    apiVersion: deployment ? 'apps/v1' : 'v1',
    namespace: namespaceOf(Math.floor(i / PER_NAMESPACE)),
    name: `${deployment ? 'deploy' : 'pod'}-${i}`,
    runUid: 'big-scan',
    results: POLICIES.map((p, j) => {
      const result = resultOf(i, j);
      return { ...p, result, message: result === 'fail' ? `${p.policy} rejects resource ${i}` : undefined };
    }),
  });
}

describe('compliance UI with 50,000 results', () => {
  let kube, ui, browser, page;

  before(async () => {
    kube = await KubeDouble.start();
    const namespaces = Array.from({ length: NAMESPACES }, (_, n) => namespaceOf(n));
    await inParallel(namespaces, 8, (ns) => kube.createNamespace(ns));
    const indexes = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => i);
    await inParallel(indexes, 32, (i) => kube.createReport(reportOf(i)));
    ui = await ComplianceUi.start(kube, { settleSeconds: 2 });
    await ui.waitUntil(async () => {
      const { totals } = await ui.api('summary');
      return Object.values(totals).reduce((a, b) => a + b, 0) === 50_000;
    }, 300_000, 'all 50,000 results in compliance-ui');
    ({ browser, page } = await launchBrowser());
    // One load to warm the browser's cache of the app itself, as an operator's second visit.
    await page.goto(`${ui.url}/#/`);
    await settled(page, 'view-dashboard');
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    await kube?.stop();
  });

  // Opens `hash` as a fresh page load (from a blank page: a hash change alone would not reload the
  // app); the view must be ready with its data (`check`) within the bound.
  async function load(t, hash, view, check) {
    await page.goto('about:blank');
    const start = Date.now();
    await page.goto(`${ui.url}/${hash}`);
    await settled(page, view, 10_000);
    await check();
    const elapsed = Date.now() - start;
    t.diagnostic(`${hash}: ${elapsed} ms`);
    assert.ok(elapsed < LIMIT_MS, `${hash} took ${elapsed} ms (the bound is ${LIMIT_MS} ms)`);
  }

  const rows = (testid) => page.getByTestId(testid).getByTestId('row');
  const text = (testid) => page.getByTestId(testid).first().innerText();

  it('dashboard', async (t) => {
    await load(t, '#/', 'view-dashboard', async () => {
      const totals = await Promise.all(['pass', 'fail', 'warn', 'error', 'skip'].map((r) => text(`total-${r}`)));
      assert.equal(totals.reduce((n, v) => n + Number(v.replace(/,/g, '')), 0), 50_000);
      assert.equal(await text('stat-resources'), '5,000');
      assert.equal(await rows('top-policies').count(), 8);
    });
    await screenshot(page, 'scale-dashboard');
  });

  it('namespaces, and one namespace', async (t) => {
    await load(t, '#/namespaces', 'view-namespaces', async () => {
      assert.equal(await rows('namespaces-table').count(), 50);
    });
    await load(t, '#/namespaces/ns-07', 'view-namespace', async () => {
      assert.equal(await rows('resources-table').count(), 50);
      assert.equal(await text('pager-info'), '1–50 of 100');
    });
    await screenshot(page, 'scale-namespace');
  });

  it('policies, and one policy', async (t) => {
    await load(t, '#/policies', 'view-policies', async () => {
      assert.equal(await rows('policies-table').count(), 10);
    });
    await load(t, '#/policies/clusterwide-policy-3', 'view-policy', async () => {
      assert.equal(await rows('policy-results').count(), 50);
      assert.equal(await rows('policy-namespaces').count(), 50);
    });
    await screenshot(page, 'scale-policy');
  });

  it('resources: first page, filtered, searched, last page', async (t) => {
    await load(t, '#/resources', 'view-resources', async () => {
      assert.equal(await text('resources-total'), '5,000');
      assert.equal(await rows('resources-table').count(), 50);
    });
    await screenshot(page, 'scale-resources');
    await load(t, '#/resources?result=fail&severity=critical&kind=Pod', 'view-resources', async () => {
      assert.equal(await rows('resources-table').count(), 50);
    });
    await load(t, '#/resources?search=rejects%20resource%204242', 'view-resources', async () => {
      assert.equal(await text('resources-total'), '1');
      assert.match(await rows('resources-table').first().innerText(), /pod-4242/);
    });
    await load(t, '#/resources?sort=name&per_page=200&page=25', 'view-resources', async () => {
      assert.equal(await rows('resources-table').count(), 200);
      assert.equal(await text('pager-info'), '4,801–5,000 of 5,000');
    });
  });

  it('one resource', async (t) => {
    await load(t, `#/resources/${uidOf(4242)}`, 'view-resource', async () => {
      assert.equal(await rows('resource-results').count(), 10);
    });
  });
});
