// Every view of the compliance UI in a real browser, against the real compliance-ui watching
// reports in the API-server double: what each shows, where its links lead, and how filters,
// search and pagination change it. Screenshots go to <build>/ui-screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, openView, screenshot, settled } from './lib/browser.mjs';
import { P_LABELS, P_PRIVILEGED, P_REGISTRY, TOTALS, seededSession, uidOf } from './fixtures.mjs';

describe('compliance UI views', () => {
  let ui, page, problems, close;

  before(async () => {
    // The first scan is recorded once the reports settle: the dashboard then has its trend point.
    ({ ui, page, problems, close } = await seededSession('run-1'));
  });

  after(async () => {
    await close?.();
  });

  const rows = (table) => page.getByTestId(table).getByTestId('row');
  const text = (testid) => page.getByTestId(testid).first().innerText();
  const rowTexts = async (table) => (await rows(table).allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));

  it('dashboard: totals, breakdowns, top failing, trend, and links onward', async () => {
    await openView(page, ui.url, '#/', 'view-dashboard');
    for (const [result, n] of Object.entries(TOTALS)) assert.equal(await text(`total-${result}`), String(n), result);
    assert.equal(await text('stat-resources'), '7');
    assert.equal(await text('stat-namespaces'), '2');
    assert.equal(await text('stat-policies'), '3');
    assert.match(await text('last-scan'), /run-1/);
    assert.equal(await page.getByTestId('trend-chart').getAttribute('data-points'), '1');
    assert.equal(await page.getByTestId('trend-chart').locator('canvas').count(), 1);

    const policies = await rowTexts('top-policies');
    assert.deepEqual(policies.map((t) => t.split(' ')[0]), [P_PRIVILEGED, P_LABELS, P_REGISTRY]);
    assert.match(policies[0], /3$/);
    const namespaces = await rowTexts('top-namespaces');
    assert.deepEqual(namespaces.map((t) => t.split(' ')[0]), ['team-b', 'team-a']);

    assert.deepEqual((await rowTexts('severity-table')).map((t) => t.split(' ')[0]), ['high', 'medium', 'low']);
    assert.deepEqual((await rowTexts('category-table')).map((t) => t.split(' ')[0]), ['Best', 'Pod', 'Supply']);
    await screenshot(page, 'dashboard');

    await page.getByTestId('top-policies').getByTestId('policy-link').first().click();
    await page.waitForURL(/#\/policies\/clusterwide-no-privileged-pod$/);
    await settled(page, 'view-policy');

    await page.goto(`${ui.url}/#/`);
    await settled(page, 'view-dashboard');
    await page.getByTestId('total-fail').click();
    await page.waitForURL(/#\/resources\?result=fail$/);
    await settled(page, 'view-resources');
    assert.equal(await text('resources-total'), '4');
  });

  it('namespaces: every namespace, then one namespace with its resources and filters', async () => {
    await openView(page, ui.url, '#/namespaces', 'view-namespaces');
    const list = await rowTexts('namespaces-table');
    assert.deepEqual(list.map((t) => t.split(' ')[0]), ['team-b', 'team-a']);
    const teamA = rows('namespaces-table').nth(1);
    assert.equal(await teamA.getByTestId('cell-pass').innerText(), '4');
    assert.equal(await teamA.getByTestId('cell-fail').innerText(), '2');
    assert.equal(await teamA.getByTestId('cell-warn').innerText(), '1');
    assert.equal(await teamA.getByTestId('cell-error').innerText(), '1');
    await screenshot(page, 'namespaces');

    await page.getByTestId('sort').selectOption('name');
    await page.waitForURL(/sort=name/);
    await settled(page, 'view-namespaces');
    assert.deepEqual((await rowTexts('namespaces-table')).map((t) => t.split(' ')[0]), ['team-a', 'team-b']);

    // Search keeps the namespaces that have a matching resource (db-0 is in team-b).
    await page.getByTestId('filter-search').fill('db-0');
    await page.getByTestId('filter-search').press('Enter');
    await page.waitForURL(/search=db-0/);
    await settled(page, 'view-namespaces');
    assert.deepEqual((await rowTexts('namespaces-table')).map((t) => t.split(' ')[0]), ['team-b']);
    await page.goto(`${ui.url}/#/namespaces?sort=name`);
    await settled(page, 'view-namespaces');

    await rows('namespaces-table').first().getByTestId('namespace-link').click();
    await page.waitForURL(/#\/namespaces\/team-a$/);
    await settled(page, 'view-namespace');
    assert.equal(await text('page-title'), 'team-a');
    assert.deepEqual(
      [await text('total-pass'), await text('total-fail'), await text('total-warn'), await text('total-error'), await text('total-skip')],
      ['4', '2', '1', '1', '0'],
    );
    assert.equal(await rows('resources-table').count(), 3);
    assert.equal(await page.getByTestId('trend-chart').getAttribute('data-points'), '1');
    await screenshot(page, 'namespace');

    await page.getByTestId('filter-result').selectOption('fail');
    await page.waitForURL(/#\/namespaces\/team-a\?result=fail$/);
    await settled(page, 'view-namespace');
    assert.deepEqual((await rowTexts('resources-table')).map((t) => t.split(' ')[0]), ['web-1']);

    await rows('resources-table').first().getByTestId('resource-link').click();
    await page.waitForURL(new RegExp(`#/resources/${uidOf('web-1')}$`));
    await settled(page, 'view-resource');
    assert.equal(await text('resource-name'), 'web-1');
  });

  it('policies: every policy, then what one fails and where', async () => {
    await openView(page, ui.url, '#/policies', 'view-policies');
    const list = await rowTexts('policies-table');
    assert.deepEqual(list.map((t) => t.split(' ')[0]), [P_PRIVILEGED, P_LABELS, P_REGISTRY]);
    const labels = rows('policies-table').nth(1);
    assert.deepEqual(
      await Promise.all(['pass', 'fail', 'warn', 'error', 'skip'].map((r) => labels.getByTestId(`cell-${r}`).innerText())),
      ['3', '2', '1', '0', '1'],
    );
    assert.match(list[1], /low Best practices 2 /);
    await screenshot(page, 'policies');

    await page.getByTestId('filter-search').fill('REGISTRY');
    await page.getByTestId('filter-search').press('Enter');
    await page.waitForURL(/search=REGISTRY/);
    await settled(page, 'view-policies');
    assert.deepEqual((await rowTexts('policies-table')).map((t) => t.split(' ')[0]), [P_REGISTRY]);
    await page.goto(`${ui.url}/#/policies`);
    await settled(page, 'view-policies');

    await rows('policies-table').first().getByTestId('policy-link').click();
    await page.waitForURL(/#\/policies\/clusterwide-no-privileged-pod$/);
    await settled(page, 'view-policy');
    assert.equal(await text('page-title'), P_PRIVILEGED);
    // What it fails (the first tab) ...
    const failing = await rowTexts('policy-results');
    assert.equal(failing.length, 3);
    assert.deepEqual(failing.map((t) => t.match(/(web-1|db-0|cache-0)/)[1]).sort(), ['cache-0', 'db-0', 'web-1']);
    for (const row of failing) assert.match(row, /FAIL .*Privileged container is not allowed/);
    // ... and where.
    const where = await rowTexts('policy-namespaces');
    assert.deepEqual(where.map((t) => t.split(' ')[0]), ['team-b', 'team-a']);
    await screenshot(page, 'policy');

    await page.getByTestId('tab-pass').click();
    await page.waitForURL(/result=pass$/);
    await settled(page, 'view-policy');
    assert.deepEqual((await rowTexts('policy-results')).map((t) => t.match(/web-\d|db-0|cache-0/)[0]), ['web-2']);

    await page.getByTestId('tab-all').click();
    await page.waitForURL(/result=all$/);
    await settled(page, 'view-policy');
    assert.equal(await rows('policy-results').count(), 4);

    // A namespace's row of "where" leads to that namespace, its resources filtered to the policy.
    await page.getByTestId('policy-namespaces').getByTestId('namespace-link').first().click();
    await page.waitForURL(/#\/namespaces\/team-b\?policy=clusterwide-no-privileged-pod$/);
    await settled(page, 'view-namespace');
    assert.equal(await rows('resources-table').count(), 2);
  });

  it('resources: filters, search and server-side pagination change the rows', async () => {
    await openView(page, ui.url, '#/resources', 'view-resources');
    assert.equal(await text('resources-total'), '7');
    assert.equal(await rows('resources-table').count(), 7);
    await screenshot(page, 'resources');

    await page.getByTestId('filter-namespace').selectOption('team-b');
    await page.waitForURL(/namespace=team-b/);
    await settled(page, 'view-resources');
    assert.deepEqual((await rowTexts('resources-table')).map((t) => t.split(' ')[0]).sort(), ['cache-0', 'db-0']);

    await page.getByTestId('filter-result').selectOption('skip');
    await page.waitForURL(/namespace=team-b&result=skip|result=skip.*namespace=team-b/);
    await settled(page, 'view-resources');
    assert.deepEqual((await rowTexts('resources-table')).map((t) => t.split(' ')[0]), ['cache-0']);

    await page.getByTestId('filters-clear').click();
    await page.waitForURL(/#\/resources$/);
    await settled(page, 'view-resources');
    assert.equal(await rows('resources-table').count(), 7);

    for (const [facet, value, expected] of [
      ['kind', 'Namespace', ['team-a', 'team-b']],
      ['severity', 'medium', ['api', 'web-1', 'web-2']],
      ['category', 'Pod Security', ['cache-0', 'db-0', 'web-1', 'web-2']],
      ['policy', P_REGISTRY, ['api', 'web-1', 'web-2']],
    ]) {
      await page.goto(`${ui.url}/#/resources`);
      await settled(page, 'view-resources');
      await page.getByTestId(`filter-${facet}`).selectOption(value);
      await page.waitForURL(new RegExp(`${facet}=`));
      await settled(page, 'view-resources');
      assert.deepEqual((await rowTexts('resources-table')).map((t) => t.split(' ')[0]).sort(), expected, facet);
    }

    // Search looks into messages too.
    await page.goto(`${ui.url}/#/resources`);
    await settled(page, 'view-resources');
    await page.getByTestId('filter-search').fill('UNTRUSTED registry');
    await page.waitForURL(/search=UNTRUSTED/);
    await settled(page, 'view-resources');
    assert.deepEqual((await rowTexts('resources-table')).map((t) => t.split(' ')[0]), ['web-1']);
    await screenshot(page, 'resources-search');

    // Three per page, by name: 7 resources are pages of 3, 3 and 1.
    await openView(page, ui.url, '#/resources?sort=name&per_page=3', 'view-resources');
    const seen = [];
    for (const [range, count] of [['1–3 of 7', 3], ['4–6 of 7', 3], ['7–7 of 7', 1]]) {
      assert.equal(await text('pager-info'), range);
      const names = (await rowTexts('resources-table')).map((t) => t.split(' ')[0]);
      assert.equal(names.length, count);
      seen.push(...names);
      if (seen.length < 7) {
        await page.getByTestId('pager-next').click();
        await page.waitForURL(new RegExp(`page=${seen.length / 3 + 1}`));
        await settled(page, 'view-resources');
      }
    }
    // Every resource once over the pages (how the server orders equal names is its business).
    assert.deepEqual([...seen].sort(), ['api', 'cache-0', 'db-0', 'team-a', 'team-b', 'web-1', 'web-2']);
    await page.getByTestId('pager-prev').click();
    await page.waitForURL(/page=2/);
    await settled(page, 'view-resources');
    assert.equal(await text('pager-info'), '4–6 of 7');
  });

  it('resource: every result with its message, linked to its policies and namespace', async () => {
    await openView(page, ui.url, `#/resources/${uidOf('web-1')}`, 'view-resource');
    assert.equal(await text('resource-name'), 'web-1');
    assert.match(await text('resource-facts'), /Pod[\s\S]*team-a/);
    const results = await rowTexts('resource-results');
    assert.equal(results.length, 3);
    // Failures first.
    assert.match(results[0], /^FAIL /);
    assert.match(results[1], /^FAIL /);
    assert.match(results[2], /^PASS clusterwide-require-labels/);
    assert.ok(results.some((r) => /Privileged container is not allowed/.test(r)));
    assert.ok(results.some((r) => /image docker\.io\/nginx comes from an untrusted registry/.test(r)));
    await screenshot(page, 'resource');

    await page.getByTestId('resource-results').getByTestId('policy-link').filter({ hasText: P_REGISTRY }).click();
    await page.waitForURL(new RegExp(`#/policies/${P_REGISTRY}$`));
    await settled(page, 'view-policy');

    await openView(page, ui.url, `#/resources/${uidOf('web-1')}`, 'view-resource');
    await page.getByTestId('resource-facts').getByTestId('namespace-link').click();
    await page.waitForURL(/#\/namespaces\/team-a$/);
    await settled(page, 'view-namespace');

    await page.goto(`${ui.url}/#/resources/no-such-uid`);
    await eventually(async () => assert.match(await text('error'), /Not found/));
  });

  it('the pages raised no script error', () => {
    assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
  });
});
