// A page left open follows the audits: every 30 s (the page's clock is driven by the test) the
// view asks for its data again and shows what changed, without a reload and without flashing
// back to "loading"; a refresh that fails leaves the page as it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, settled } from './lib/browser.mjs';
import { RESOURCES, TOTALS, seededSession } from './fixtures.mjs';
import { policyReport } from './lib/cluster.mjs';

describe('compliance UI refresh', () => {
  let kube, ui, page, problems, close;

  before(async () => {
    ({ kube, ui, page, problems, close } = await seededSession('run-1'));
  });

  after(async () => {
    await close?.();
  });

  const total = (result) => page.getByTestId(`total-${result}`).first().innerText();

  it('the dashboard shows a fixed resource within one refresh', async () => {
    await page.clock.install();
    await page.goto(`${ui.url}/#/`);
    await settled(page, 'view-dashboard');
    assert.equal(await total('fail'), String(TOTALS.fail));

    // db-0 is fixed: its failing result passes now.
    const db = RESOURCES.find((r) => r.name === 'db-0');
    const fixed = db.results.map((r) => (r.result === 'fail' ? { ...r, result: 'pass', message: undefined } : r));
    await kube.replaceReport(policyReport({ ...db, results: fixed, runUid: 'run-2' }));
    await ui.waitUntil(async () => (await ui.api('summary')).totals?.fail === TOTALS.fail - 2, 30_000,
      'the fixed report in the API');

    // Nothing changes before the next round, and no reload happens.
    await page.clock.runFor(10_000);
    assert.equal(await total('fail'), String(TOTALS.fail));
    await page.evaluate(() => (window.__sameDocument = true));
    await page.clock.runFor(21_000);
    await eventually(async () => assert.equal(await total('fail'), String(TOTALS.fail - 2)));
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
    assert.equal(await page.getByTestId('view-dashboard').getAttribute('data-state'), 'ready');
  });

  it('a refresh that fails leaves the page as it was', async () => {
    await ui.stop();
    ui.stopped = true;
    await page.clock.runFor(31_000);
    // The request fails; what was shown stays, with no error box.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await total('fail'), String(TOTALS.fail - 2));
    assert.equal(await page.getByTestId('error').count(), 0);
  });

  it('the pages raised no script error', () => {
    assert.deepEqual(problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(p)), []);
  });
});
