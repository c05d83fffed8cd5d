// Scenario scripts end to end, as a person would: install the .vsix into code-server, open a
// .scs file from Quick Open, click the "Run Scenario" CodeLens on its title line, then see the
// result in the Test Explorer (the script and its steps with the passed icon) and the ✓ marks
// at the end of the step lines. Saves test-results/scenario-run.png (and, with
// UPDATE_SCREENSHOTS=1, the README's media/screenshots/scenario-run.png).

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  missingTools,
  openBrowser,
  packageVsix,
  REPO_ROOT,
  runCommand,
  screenshot,
  setSidebarWidth,
  sidebarTreeRows,
  startCodeServer,
  tempDir,
  waitFor,
  waitForWorkbench,
  workbenchUrl,
  FREE_PORT_SETTINGS,
  type BrowserSession,
  type CodeServer,
} from './harness';

const skip = missingTools();
const TITLE = 'Romeo and Juliet exchange a message';
const SCRIPT = [
  `# ${TITLE}`,
  '# A message to a full JID is delivered to that resource (RFC 6121 §8.5.3.1).',
  '',
  '[Client] Romeo',
  '\tjid: romeo@localhost',
  '\tpassword: montague',
  '',
  '[Client] Juliet',
  '\tjid: juliet@localhost/balcony',
  '\tpassword: capulet',
  '',
  '---------',
  '',
  'Romeo connects',
  '',
  'Juliet connects',
  '',
  'Romeo sends:',
  '\t<message to="${Juliet\'s full JID}" type="chat">',
  '\t\t<body>Wherefore art thou?</body>',
  '\t</message>',
  '',
  'Juliet receives:',
  '\t<message from="${Romeo\'s full JID}" type="chat">',
  '\t\t<body>Wherefore art thou?</body>',
  '\t</message>',
  '',
  'Romeo disconnects',
  '',
].join('\n');
const STEPS = ['Romeo connects', 'Juliet connects', 'Romeo sends:', 'Juliet receives:', 'Romeo disconnects'];

let cs: CodeServer | undefined;
let browser: BrowserSession | undefined;

before(async () => {
  if (skip) return;
  const vsix = process.env.XMPP_SANDBOX_VSIX || packageVsix();
  const workspace = tempDir('xmpp-sandbox-scenario-e2e-');
  mkdirSync(join(workspace, 'scenarios'));
  writeFileSync(join(workspace, 'scenarios', 'balcony.scs'), SCRIPT);
  cs = await startCodeServer({ vsix, workspace, workspaceSettings: { ...FREE_PORT_SETTINGS, 'editor.minimap.enabled': false } });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await cs?.stop();
});

test('open a .scs file, click Run Scenario, see it pass in the Test Explorer', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const page = browser!.page;
  await page.goto(workbenchUrl(cs!));
  await waitForWorkbench(page);

  // Quick Open, as a person would.
  await waitFor(
    'balcony.scs in Quick Open',
    async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('balcony.scs');
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'balcony.scs' }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
      } catch {
        await page.keyboard.press('Escape');
        return false;
      }
      await page.keyboard.press('Enter');
      return true;
    },
    60_000,
    500,
  );
  await page.locator('.part.editor .tab', { hasText: 'balcony.scs' }).first().waitFor({ state: 'visible', timeout: 30_000 });

  // The CodeLens on the title line (it shows once the extension has activated).
  const lens = page.locator('.part.editor .codelens-decoration a', { hasText: 'Run Scenario' }).first();
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  const stepLenses = await page.locator('.part.editor .codelens-decoration a').allInnerTexts();
  assert.ok(stepLenses.some((t) => t.includes('Run to Here')) && stepLenses.some((t) => t.includes('Send This Step')), stepLenses.join(' | '));
  await lens.click();

  // The Test Explorer: the script and its steps, each with the passed icon.
  await runCommand(page, 'Testing: Focus on Test Explorer View');
  const passedRow = (label: string) => page.locator('.part.sidebar .monaco-list-row', { hasText: label }).filter({ has: page.locator('.codicon-testing-passed-icon') });
  await passedRow(TITLE).first().waitFor({ state: 'visible', timeout: 90_000 });
  // Expand the script's row (and the folders above it) until its steps show.
  await waitFor(
    'the steps under the script',
    async () => {
      for (const row of await page.locator('.part.sidebar .monaco-list-row[aria-expanded="false"]').all()) await row.click().catch(() => undefined);
      const rows = await sidebarTreeRows(page);
      return STEPS.every((s) => rows.some((r) => r.includes(s)));
    },
    30_000,
    500,
  );
  for (const step of STEPS) assert.equal(await passedRow(step).count(), 1, `${step} shows as passed: ${(await sidebarTreeRows(page)).join(' | ')}`);

  // The ✓ marks (with their times) after the step lines, drawn by the editor as ::after content.
  const marks = await waitFor(
    'the ✓ marks on the step lines',
    async () => {
      // Runs in the page (the test's own types have no DOM lib).
      const found = await page.locator('.part.editor .view-lines span').evaluateAll((spans) => {
        const page = globalThis as unknown as { getComputedStyle(el: unknown, pseudo: string): { content: string } };
        return spans.map((s) => page.getComputedStyle(s, '::after').content).filter((c) => /✓ \d+ ms/.test(c));
      });
      return found.length === STEPS.length ? found : undefined;
    },
    30_000,
    250,
  );
  assert.equal(marks.length, STEPS.length);

  await setSidebarWidth(page, 460);
  await page.mouse.move(5, 5);
  const shot = await screenshot(page, 'scenario-run.png');
  // The README's copy is refreshed on request only, so a test run leaves the checkout clean.
  if (process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(join(REPO_ROOT, 'media', 'screenshots'), { recursive: true });
    copyFileSync(shot, join(REPO_ROOT, 'media', 'screenshots', 'scenario-run.png'));
  }
});
