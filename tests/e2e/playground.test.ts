/**
 * The playground in a real browser, with no network beyond this machine: a newcomer opens
 * /graphql, sees the development token's scopes and jurisdiction, reads a field's description in
 * the schema docs, runs the budget transparency example and gets the province's budget. Saves a
 * screenshot to test-results/playground.png.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { loadExamples } from '../../gateway/playground/examples';
import { sampleOfficerTokens } from '../../gateway/playground/sample-officer';
import { describeWithChromium, launchOfflineBrowser, OfflineBrowser } from '../support/chromium';
import { npmStartWorld } from '../support/npm-start-world';
import { REPO_ROOT, Stack, startStack } from '../../stack/stack';

const SCREENSHOT = resolve(REPO_ROOT, 'test-results/playground.png');
const BUDGET_EXAMPLE = '05-budget-transparency-province';

describeWithChromium('playground in a browser, offline', () => {
  let stack: Stack;
  let browser: OfflineBrowser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // Budgets depend on the seed and catalogue, not the world's size: a small world answers this example as npm start's does.
    [stack, browser] = await Promise.all([startStack({ mocks: npmStartWorld({ worldSize: 2000 }) }), launchOfflineBrowser()]);
    page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('opens from /graphql with every asset from the gateway, and notes the token\'s scopes and jurisdiction', async () => {
    const response = await page.goto(stack.gatewayUrl);
    expect(response?.headers()['content-type']).toMatch(/text\/html/);
    await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
    const note = page.getByTestId('playground-note');
    await expect(note.getByTestId('token-jurisdiction').innerText()).resolves.toBe('24 (Bắc Ninh)');
    const scopes = await note.getByTestId('token-scopes').innerText();
    for (const scope of ['population:read', 'civil-status:read', 'land:read', 'social-insurance:read', 'budget:read', 'audit:read']) {
      expect(scopes).toContain(scope);
    }
    await expect(page.locator('.graphiql-tab').allInnerTexts()).resolves.toEqual(loadExamples().map((e) => e.operationName));
  });

  it('shows the schema docs with the field descriptions', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await expect(docs.getByText(/Tra cứu một công dân theo số định danh cá nhân/).first().isVisible()).resolves.toBe(true);
  });

  it('runs the budget transparency example with the prefilled token and renders the province\'s budget', async () => {
    const example = loadExamples().find((e) => e.name === BUDGET_EXAMPLE)!;
    const token = await sampleOfficerTokens(stack.gatewayConfig)!();
    const expected = await stack.query<{ province: { budget: { revenue: { totalEstimate: number } } } }>(example.query, example.variables, {
      authorization: `Bearer ${token.token}`,
    });

    await page.locator('.graphiql-tab', { hasText: example.operationName }).click();
    await page.locator('.graphiql-query-editor', { hasText: `query ${example.operationName}` }).waitFor();
    // GraphiQL takes the new tab's operation name from its editor 100 ms after a change (a person is slower).
    await page.waitForTimeout(300);
    await page.locator('button.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response .result-window');
    await result.getByText('"communeCount"').waitFor({ timeout: 20_000 });
    const text = await result.innerText();
    expect(text).toContain('"name": "Tỉnh Bắc Ninh"');
    expect(text).toContain('"communeCount": 99');
    expect(text).toContain(`"totalEstimate": ${expected.body.data!.province.budget.revenue.totalEstimate}`);
    expect(text).not.toContain('"errors"');

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('keeps the open tab and its token across a reload', async () => {
    await page.reload();
    await page.locator('.graphiql-tab-active', { hasText: 'BudgetTransparencyProvince' }).waitFor({ timeout: 20_000 });
    await page.locator('button.graphiql-execute-button').click();
    await page.locator('.graphiql-response .result-window').getByText('"communeCount"').waitFor({ timeout: 20_000 });
    await expect(page.locator('.graphiql-response .result-window').innerText()).resolves.not.toContain('UNAUTHENTICATED');
  });

  it('loaded nothing from outside this machine, and nothing failed', () => {
    expect(browser.blocked).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('(and could not have: the browser is refused anything beyond this machine, and records the attempt)', async () => {
    const probe = await browser.context.newPage();
    await expect(probe.goto('https://cdn.jsdelivr.net/npm/graphiql')).rejects.toThrow(/ERR_INTERNET_DISCONNECTED/);
    expect(browser.blocked).toEqual(['https://cdn.jsdelivr.net/npm/graphiql']);
    await probe.close();
  });
});
