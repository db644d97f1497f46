// Headless Debian chromium driven by playwright-core (Playwright's own browser download is not
// available here), and screenshots into <build>/ui-screenshots for a person to look at.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BINARY_DIR, SOURCE_DIR } from './cluster.mjs';

// playwright-core is a devDependency of ui/ (one lock file for the app and its tests).
const require = createRequire(path.join(SOURCE_DIR, 'ui/package.json'));
const { chromium } = require('playwright-core');

export const SCREENSHOT_DIR = path.join(BINARY_DIR, 'ui-screenshots');

export async function launchBrowser() {
  // Playwright gives each launch a fresh temporary profile (its --user-data-dir) and removes it.
  const browser = await chromium.launch({
    executablePath: process.env.KW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  return { browser, page, problems };
}

// Opens `hash` (e.g. '#/resources?page=2') and waits until `view` shows its data.
export async function openView(page, baseUrl, hash, view) {
  await page.goto(`${baseUrl}/${hash}`);
  await settled(page, view);
}

// Waits until the view rendered for the current hash shows the answer to its parameters. The
// frame carries the hash it rendered (data-route), so a view still showing the previous route's
// data does not count.
export async function settled(page, view, timeout = 15_000) {
  const hash = await page.evaluate(() => location.hash);
  const route = hash.replace(/["\\]/g, '\\$&');
  await page.locator(`main[data-route="${route}"] [data-testid="${view}"][data-state="ready"]`).waitFor({ timeout });
}

// Retries `check` (assertions) until it passes or `timeout` ms have gone by.
export async function eventually(check, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
