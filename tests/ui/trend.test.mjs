// The trend: two scans (two audit-scanner run uids, the reports relabelled by the second) are two
// points on the charts, and the history endpoint filters them per namespace and per policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inParallel, policyReport } from './lib/cluster.mjs';
import { openView, screenshot } from './lib/browser.mjs';
import { P_PRIVILEGED, RESOURCES, seededSession } from './fixtures.mjs';

// The second scan: everything passes the privileged-pod policy now.
function secondScan(resource) {
  return { ...resource, results: resource.results.map((r) => (r.policy === P_PRIVILEGED ? { ...r, result: 'pass', message: undefined } : r)) };
}

describe('compliance UI trend', () => {
  let ui, page, close;

  before(async () => {
    ({ ui, page, close } = await seededSession('scan-1', async ({ kube, ui }) => {
      await inParallel(RESOURCES, 8, (r) => kube.replaceReport(policyReport({ ...secondScan(r), runUid: 'scan-2' })));
      await ui.waitUntil(async () => (await ui.api('history')).items.length === 2, 30_000, 'the second scan');
    }));
  });

  after(async () => {
    await close?.();
  });

  it('records one history row per scan, oldest first', async () => {
    const { items } = await ui.api('history');
    assert.deepEqual(items.map((i) => [i.run_uid, i.fail]), [['scan-1', 6], ['scan-2', 3]]);
    const teamB = await ui.api('history?namespace=team-b');
    assert.deepEqual(teamB.items.map((i) => i.fail), [3, 1]);
    const privileged = await ui.api(`history?policy=${P_PRIVILEGED}`);
    assert.deepEqual(privileged.items.map((i) => [i.pass, i.fail]), [[1, 3], [4, 0]]);
  });

  it('draws two points on the dashboard, and lists both scans', async () => {
    await openView(page, ui.url, '#/', 'view-dashboard');
    const chart = page.getByTestId('trend-chart');
    assert.equal(await chart.getAttribute('data-points'), '2');
    assert.equal(await chart.locator('canvas').count(), 1);
    assert.match(await page.getByTestId('last-scan').innerText(), /scan-2/);
    assert.equal(await page.getByTestId('total-fail').innerText(), '3');
    await page.getByTestId('trend-card').locator('summary').click();
    const scans = (await page.getByTestId('scans-table').getByTestId('row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    // Newest first in the table.
    assert.equal(scans.length, 2);
    assert.match(scans[0], /scan-2 8 3 1 1 1$/);
    assert.match(scans[1], /scan-1 5 6 1 1 1$/);
    await screenshot(page, 'trend-dashboard');
  });

  it('draws the namespace and the policy trends from their own history', async () => {
    await openView(page, ui.url, '#/namespaces/team-b', 'view-namespace');
    assert.equal(await page.getByTestId('trend-chart').getAttribute('data-points'), '2');
    await openView(page, ui.url, `#/policies/${P_PRIVILEGED}?result=all`, 'view-policy');
    assert.equal(await page.getByTestId('trend-chart').getAttribute('data-points'), '2');
    await screenshot(page, 'trend-policy');
  });
});
