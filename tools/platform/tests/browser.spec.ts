import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShop, repoRoot, startTestPlatform, type TestPlatform } from './shop-build.js';

/** Debian's chromium; another build can be named with CHROMIUM_PATH. */
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium && process.env['CI']) {
  throw new Error(
    `the browser test needs chromium at ${chromiumPath}: install it with \`apt-get install chromium\``,
  );
}
if (!haveChromium) {
  console.warn(
    `Skipping the browser test: no chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH).`,
  );
}

const screenshots = join(repoRoot, 'test-output', 'browser');
let testShop: TestPlatform | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  await buildShop();
  await mkdir(screenshots, { recursive: true });
  testShop = await startTestPlatform(
    'trellis-browser-',
    { storefront: 1, catalog: 3, cart: 1, checkout: 1, payments: 1, shipping: 1, loadgen: 1 },
    30,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // The sandbox needs user namespaces that a CI container (running as root) may not allow.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await testShop?.stop();
}, 60_000);

async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** The dashboard's share of catalog traffic for one replica, or undefined when it is not listed. */
async function shareOf(page: Page, replica: string): Promise<number | undefined> {
  const row = page.locator(`[data-upstream="catalog"][data-replica="${replica}"]`).first();
  if ((await row.count()) === 0) return undefined;
  return Number(await row.getAttribute('data-share'));
}

describe.skipIf(!haveChromium)('the shop in a browser', () => {
  it('completes a checkout from the product grid to the confirmation', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(testShop!.platform.storefrontUrl!);
      await page.getByTestId('product-card').first().waitFor();
      expect(await page.getByTestId('product-card').count()).toBeGreaterThan(10);
      await snap(page, '1-products');

      await page.getByTestId('product-card').first().click();
      await page.getByTestId('add-to-cart').click();
      await expect.poll(() => page.getByTestId('cart-count').textContent()).toMatch(/[1-9]/);
      await snap(page, '2-product');

      await page.goto(new URL('/cart', testShop!.platform.storefrontUrl!).href);
      await page.getByTestId('cart-line').first().waitFor();
      await snap(page, '3-cart');
      await page.getByTestId('go-to-checkout').click();

      await page.getByTestId('place-order').waitFor();
      await snap(page, '4-checkout');
      await page.getByTestId('place-order').click();

      const confirmation = page.getByTestId('order-confirmation');
      await confirmation.waitFor({ timeout: 20_000 });
      expect(await confirmation.getAttribute('data-order-id')).toMatch(/^ord_[0-9a-f]{16}$/);
      await snap(page, '5-confirmation');
    } finally {
      await page.close();
    }
  }, 90_000);

  it('shows on the dashboard a killed catalog replica leave and a slowed one lose its traffic', async () => {
    const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
    try {
      await page.goto(testShop!.platform.dashboardUrl!);
      await page.locator('[data-testid="dashboard-live"][data-connected="true"]').waitFor();
      // The loadgen's traffic reaches every catalog replica before the faults.
      for (const replica of ['catalog-1', 'catalog-2', 'catalog-3']) {
        await expect
          .poll(() => shareOf(page, replica), { timeout: 30_000, interval: 500 })
          .toBeGreaterThan(0);
      }
      await page
        .locator('[data-edge="storefront->catalog"]')
        .first()
        .waitFor({ state: 'attached' });
      await snap(page, '6-dashboard-healthy');

      // The kill goes through the dashboard's own chaos button.
      await page
        .locator('[data-upstream="catalog"][data-replica="catalog-1"] [data-chaos="kill"]')
        .first()
        .click();
      await expect
        .poll(
          () =>
            page
              .locator('[data-upstream="catalog"][data-replica="catalog-1"]')
              // The row stays, marked killed, so the replica can be healed from the page.
              .evaluateAll((rows) =>
                rows.every((row) => ['killed', 'down'].includes(row.getAttribute('data-state')!)),
              ),
          { timeout: 30_000, interval: 500 },
        )
        .toBe(true);

      // The slow-down (through the launcher) hits whichever survivor carries more traffic now.
      await expect
        .poll(
          async () => (await shareOf(page, 'catalog-2'))! + (await shareOf(page, 'catalog-3'))!,
          {
            timeout: 30_000,
            interval: 500,
          },
        )
        .toBeGreaterThan(0.95);
      const [slowed, other] =
        (await shareOf(page, 'catalog-2'))! >= (await shareOf(page, 'catalog-3'))!
          ? ['catalog-2', 'catalog-3']
          : ['catalog-3', 'catalog-2'];
      expect(await shareOf(page, slowed)).toBeGreaterThanOrEqual(0.45);
      await testShop!.platform.chaos({ action: 'slow', replica: slowed, latencyMs: 300 });
      await expect
        .poll(() => shareOf(page, slowed), { timeout: 40_000, interval: 500 })
        .toBeLessThan(0.1);
      expect(await shareOf(page, other)).toBeGreaterThan(0.8);
      // The page's proof for its watcher: the loadgen's user journeys went on, none failed.
      const journeys = (name: string) =>
        page.locator(`[data-total="${name}"]`).getAttribute('data-value').then(Number);
      expect(await journeys('journeys-ok')).toBeGreaterThan(100);
      expect(await journeys('journeys-failed')).toBe(0);
      await snap(page, '7-dashboard-after-chaos');
    } finally {
      await page.close();
    }
  }, 120_000);
});
