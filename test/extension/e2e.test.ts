// End to end, as a person would: package the .vsix, install it into code-server, open VS Code
// in Chromium, run "XMPP: Start Sandbox" from the command palette, read the endpoint from the
// notification, connect a real @xmpp/client app, see its session in the XMPP Sandbox view,
// stop the sandbox. Saves screenshots to test-results/ (and, with UPDATE_SCREENSHOTS=1, media/screenshot-explorer.png).

import * as assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { client, xml, type Client } from '@xmpp/client';
import Redis from 'ioredis';
import {
  missingTools,
  openBrowser,
  openViewContainer,
  openWalkthrough,
  packageVsix,
  REPO_ROOT,
  runCommand,
  screenshot,
  setSidebarWidth,
  sidebarTreeRows,
  startCodeServer,
  waitFor,
  waitForNotification,
  waitForWorkbench,
  workbenchUrl,
  FREE_PORT_SETTINGS,
  type BrowserSession,
  type CodeServer,
} from './harness';

const skip = missingTools();
const DOMAIN = 'e2e.test';


let vsix = '';
let cs: CodeServer | undefined;
let browser: BrowserSession | undefined;
let app: Client | undefined;

before(async () => {
  if (skip) return;
  vsix = process.env.XMPP_SANDBOX_VSIX || packageVsix();
  cs = await startCodeServer({ vsix, workspaceSettings: { ...FREE_PORT_SETTINGS, 'xmppSandbox.domain': DOMAIN } });
  browser = await openBrowser();
});

after(async () => {
  await app?.stop().catch(() => undefined);
  await browser?.close();
  await cs?.stop();
});

test('Start Sandbox from the palette, connect an app, see it in the explorer', { skip: skip ?? false, timeout: 180_000 }, async () => {
  const page = browser!.page;
  await page.goto(workbenchUrl(cs!));
  await waitForWorkbench(page);

  await runCommand(page, 'XMPP: Start Sandbox');
  const note = await waitForNotification(page, /XMPP sandbox running: xmpp:\/\/127\.0\.0\.1:\d+/, 60_000);
  const m = /XMPP sandbox running: (xmpp:\/\/127\.0\.0\.1:\d+) \(domain ([^)]+)\)/.exec(note);
  assert.ok(m, `notification text: ${note}`);
  const [, service, domain] = m;
  assert.equal(domain, DOMAIN);
  await waitFor('the status bar to show running', async () => /XMPP \d+/.test(await page.locator('.part.statusbar').innerText()));

  app = client({ service, domain, username: 'alice', password: 'sandbox', resource: 'e2e' });
  app.on('error', () => undefined);
  await app.start();
  await app.send(xml('presence', {}, xml('priority', {}, '3')));

  await openViewContainer(page, 'XMPP Sandbox');
  const rows = await waitFor(
    'alice in the XMPP Sandbox view',
    async () => {
      const r = await sidebarTreeRows(page);
      return r.some((t) => t.includes(`alice@${DOMAIN}`)) && r.some((t) => t.includes('e2e') && t.includes('priority 3')) ? r : undefined;
    },
    30_000,
    250,
  );
  assert.ok(rows.some((t) => t.includes(service)), `endpoint row shows ${service}: ${rows.join(' | ')}`);

  // A queue list pushed by a worker shows with its length.
  const queueUrl = /redis:\/\/127\.0\.0\.1:\d+/.exec(rows.find((t) => t.includes('redis://')) ?? '')?.[0];
  assert.ok(queueUrl, `queue endpoint row: ${rows.join(' | ')}`);
  const redis = new Redis(queueUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.lpush('jobs', 'job-1', 'job-2', 'job-3');
  } finally {
    redis.disconnect();
  }
  await waitFor('the jobs list in the view', async () => (await sidebarTreeRows(page)).some((t) => t.includes('jobs') && t.includes('3 items')), 30_000, 250);
  await setSidebarWidth(page, 520);
  await page.waitForSelector('.notification-fade-in-done', { timeout: 5000 }).catch(() => undefined);
  const shot = await screenshot(page, 'e2e-explorer.png');
  // The README's copy is refreshed on request only, so a test run leaves the checkout clean.
  if (process.env.UPDATE_SCREENSHOTS) copyFileSync(shot, join(REPO_ROOT, 'media', 'screenshot-explorer.png'));

  // Send a Test Message to a user who is not connected: typed in the quick pick (a bare name
  // gets the sandbox's domain), it lands in the offline store.
  await runCommand(page, 'XMPP: Send a Test Message');
  const pickInput = page.locator('.quick-input-widget .quick-input-box input');
  await pickInput.waitFor({ state: 'visible', timeout: 10_000 });
  await pickInput.fill('carol');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: `carol@${DOMAIN}` }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
  await waitForNotification(page, new RegExp(`Sent a test message to carol@${DOMAIN.replace('.', '\\.')}`), 15_000);
  const offlineGroup = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Offline Store' }).first();
  if ((await offlineGroup.getAttribute('aria-expanded')) === 'false') await offlineGroup.click();
  await waitFor('carol in the offline store', async () => (await sidebarTreeRows(page)).some((t) => t.includes(`carol@${DOMAIN}`) && t.includes('1 message')), 15_000, 250);

  await app.stop();
  app = undefined;
  await waitFor('alice gone from the view', async () => !(await sidebarTreeRows(page)).some((t) => t.includes(`alice@${DOMAIN}`)), 30_000, 250);

  // The status bar item opens the actions quick pick.
  await page.locator('.part.statusbar .statusbar-item', { hasText: /XMPP \d+/ }).first().click();
  const picks = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await picks.first().waitFor({ state: 'visible', timeout: 10_000 });
  const actions = await picks.allInnerTexts();
  assert.ok(actions.some((t) => t.includes('Stop Sandbox')) && actions.some((t) => t.includes('Copy Connection Settings')), actions.join(' | '));
  await page.keyboard.press('Escape');

  // Reset Sandbox Data asks first (a modal dialog), then empties the stores: the jobs list goes.
  await runCommand(page, 'XMPP: Reset Sandbox Data');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 15_000 });
  assert.match(await dialog.innerText(), /Reset the XMPP sandbox data\?/);
  await dialog.locator('.monaco-button', { hasText: /^Reset$/ }).click();
  await waitForNotification(page, /XMPP sandbox data reset/, 15_000);
  await waitFor('the jobs list gone', async () => !(await sidebarTreeRows(page)).some((t) => t.includes('jobs')), 15_000, 250);

  await runCommand(page, 'XMPP: Stop Sandbox');
  await waitFor('the status bar to show stopped', async () => /XMPP: stopped/.test(await page.locator('.part.statusbar').innerText()), 30_000, 250);
  await waitFor('the welcome view with its Start button', async () => (await page.locator('.part.sidebar .welcome-view-content').innerText().catch(() => '')).includes('Start Sandbox'), 15_000, 250);
});

test('the walkthrough opens with its four steps', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const page = browser!.page;
  await openWalkthrough(page);
  // The step titles as package.json declares them (four steps; the last creates a project).
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { walkthroughs: { steps: { title: string }[] }[] } };
  const titles = manifest.contributes.walkthroughs[0]!.steps.map((st) => st.title);
  assert.deepEqual(titles.slice(0, 3), ['Start the sandbox', 'Open the stanza inspector', 'Send a first stanza']);
  assert.equal(titles.length, 4);
  for (const title of titles) {
    await page.locator('.getting-started-step .step-title', { hasText: title }).first().waitFor({ state: 'visible', timeout: 15_000 });
  }
  // Expanding a step shows its command buttons.
  await page.locator('.getting-started-step .step-title', { hasText: 'Send a first stanza' }).first().click();
  await page.locator('.getting-started-step', { hasText: 'Send a first stanza' }).locator('a, button', { hasText: 'Send a Test Message' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot(page, 'e2e-walkthrough.png');
});

test('xmppSandbox.autoStart starts the sandbox when the workspace opens', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const auto = await startCodeServer({ vsix, workspaceSettings: { ...FREE_PORT_SETTINGS, 'xmppSandbox.autoStart': true } });
  const b = await openBrowser();
  try {
    await b.page.goto(workbenchUrl(auto));
    await waitForWorkbench(b.page);
    // No command run: the status bar goes to running by itself.
    await waitFor('the status bar to show running', async () => /XMPP \d+\/\d+\/\d+/.test(await b.page.locator('.part.statusbar').innerText()), 60_000, 250);
  } finally {
    await b.close();
    await auto.stop();
  }
});
