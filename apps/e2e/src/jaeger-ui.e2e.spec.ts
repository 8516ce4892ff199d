import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { json, poll, servicesInTrace, startSystem, uniqueUser, untilApplied, type System } from './harness';

// The on-call engineer's path, in a real browser (Debian's chromium driven by playwright-core): the
// Jaeger UI on :16686 (tools/infra/jaeger-ui.ts) finds a user's sign-up by service and tag and shows
// its trace with the spans of all four services. Not skipped when the UI or chromium is missing:
// `npm test` installs both (tools/infra.sh up fetches the UI, tools/infra.sh browser the chromium).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERVICES = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'];
const SCREENSHOTS = path.join(__dirname, '../../../.data/screenshots');

describe('Jaeger UI in a browser', () => {
  let system: System;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run bash tools/infra.sh browser (npm test does), or set CHROMIUM_PATH`);
    system = await startSystem();
    // root (CI) cannot use chromium's sandbox
    browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('finds a sign-up by service user-command and tag enduser.id, and shows the spans of all four services', async () => {
    const user = uniqueUser('jaegerui');
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    const traceId = res.headers.get('traceparent')!.split('-')[1];
    await untilApplied(system.gateway, ((await res.json()) as { requestId: string }).requestId);
    // every service exports its own batches: wait until all four are in Jaeger before looking
    await poll(`trace ${traceId} with all four services`, async () => ((await servicesInTrace(system.jaeger, traceId)).services.size === SERVICES.length ? true : undefined), 60_000, 500);

    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    await page.goto(`${system.jaeger}/search`);
    expect(await page.title()).toBe('Jaeger UI'); // not the placeholder page of a Jaeger without its UI

    const serviceField = page.locator('.ant-form-item', { has: page.locator('label', { hasText: 'Service' }) });
    await serviceField.getByRole('combobox').click();
    await page.keyboard.type('user-command');
    await page.locator('.ant-select-item-option[title="user-command"]').click();
    await page.locator('input[name="tags"]').fill(`enduser.id=${user.username}`);
    await page.locator('[data-test="submit-btn"]').click();

    // the search finds exactly this user's trace
    const results = page.locator('.ResultItem');
    await results.first().waitFor();
    expect(await results.count()).toBe(1);
    await results.first().locator('a').first().click();
    await page.waitForURL(`**/trace/${traceId}*`);

    const serviceNames = page.locator('.span-svc-name');
    await poll('the trace view lists its spans', async () => ((await serviceNames.count()) > 0 ? true : undefined), 30_000);
    const shown = new Set((await serviceNames.allInnerTexts()).map((t) => t.trim()));
    for (const service of SERVICES) expect(shown).toContain(service);

    // what docs/jaeger-ui-trace.png (the README's picture) was taken from
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.mouse.move(0, 0); // no hover highlight in the picture
    await page.screenshot({ path: path.join(SCREENSHOTS, 'jaeger-ui-trace.png') });
  });
});
