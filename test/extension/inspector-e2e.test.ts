// The stanza inspector in a real VS Code (code-server + Chromium), as a person would use it:
// install the .vsix, start the sandbox from the palette, connect a real @xmpp/client app,
// run "XMPP: Open Stanza Inspector", send a ping from the composer as that app's session and
// see its trace (the four stages, plugins, outcome) selected in the panel. Screenshot saved
// to test-results/inspector-e2e.png.

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, xml, type Client } from '@xmpp/client';
import type { FrameLocator } from 'playwright-core';
import {
  missingTools,
  openBrowser,
  packageVsix,
  runCommand,
  screenshot,
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
const DOMAIN = 'inspector.test';

let cs: CodeServer | undefined;
let browser: BrowserSession | undefined;
const apps: Client[] = [];

before(async () => {
  if (skip) return;
  const vsix = process.env.XMPP_SANDBOX_VSIX || packageVsix();
  cs = await startCodeServer({ vsix, workspaceSettings: { ...FREE_PORT_SETTINGS, 'xmppSandbox.domain': DOMAIN } });
  browser = await openBrowser();
});

after(async () => {
  for (const a of apps) await a.stop().catch(() => undefined);
  await browser?.close();
  await cs?.stop();
});

async function connect(service: string, username: string, resource: string): Promise<Client> {
  const app = client({ service, domain: DOMAIN, username, password: 'sandbox', resource });
  app.on('error', () => undefined);
  apps.push(app);
  await app.start();
  await app.send(xml('presence'));
  return app;
}

test('Open Stanza Inspector, send a ping from the composer, see its trace', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const page = browser!.page;
  await page.goto(workbenchUrl(cs!));
  await waitForWorkbench(page);
  await runCommand(page, 'XMPP: Start Sandbox');
  const note = await waitForNotification(page, /XMPP sandbox running: xmpp:\/\/127\.0\.0\.1:\d+/, 60_000);
  const service = /(xmpp:\/\/127\.0\.0\.1:\d+)/.exec(note)![1]!;
  const alice = await connect(service, 'alice', 'e2e');
  await connect(service, 'bob', 'e2e');

  await runCommand(page, 'XMPP: Open Stanza Inspector');
  const view: FrameLocator = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('#status').waitFor({ timeout: 30_000 });

  // Live traffic shows up as rows.
  await alice.send(xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id: 'e2e-chat' }, xml('body', {}, 'hello from e2e')));
  // One row per stanza, From and To apart, the sandbox's own domain left out.
  const chatRow = view.locator('.rows .row', { has: view.locator('.c-from', { hasText: /^alice\/e2e$/ }) }).filter({ has: view.locator('.c-to', { hasText: /^bob$/ }) });
  await chatRow.first().waitFor({ timeout: 30_000 });
  assert.equal(await chatRow.count(), 1, 'the two passes of the message are one row');

  // The composer starts collapsed: open it.
  await view.locator('#composer-toggle').click();

  // The composer's example names the sandbox's domain, not a made-up one.
  assert.match((await view.locator('#composer-xml').getAttribute('placeholder')) ?? '', new RegExp(`to="bob@${DOMAIN.replace('.', '\\.')}"`));

  // The composer: alice's session is offered; choose it, the ping template, send.
  await waitFor('alice among the composer sessions', async () => (await view.locator('#composer-session vscode-option').allTextContents()).some((t) => t.includes(`alice@${DOMAIN}/e2e`)), 30_000, 250);
  await view.locator('#composer-session').evaluate((el, v) => {
    (el as unknown as { value: string }).value = v;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, `alice@${DOMAIN}/e2e`);
  await view.locator('#composer-template').evaluate((el) => {
    (el as unknown as { value: string }).value = 'ping';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await view.locator('#composer-send').click();
  await view.locator('#composer-status', { hasText: /Sent as p\d+/ }).waitFor({ timeout: 30_000 });
  const packetId = /Sent as (p\d+)/.exec(await view.locator('#composer-status').innerText())![1]!;

  // Its trace is selected: four stages listed, the ones it went through with their plugins, an outcome.
  await view.locator('#details .packet-id', { hasText: packetId }).waitFor({ timeout: 30_000 });
  const stages = await view.locator('#details .timeline .stage[data-stage]:not([data-stage="outcome"])').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { stage: string } }).dataset.stage));
  assert.deepEqual(stages, ['preprocess', 'process', 'postprocess', 'filter']);
  assert.ok((await view.locator('#details .timeline .stage.done').count()) >= 1, 'went through at least one stage');
  assert.ok((await view.locator('#details .plugin').count()) >= 1, 'plugins listed');
  await waitFor('an outcome', async () => !/pending/.test(await view.locator('#details .detail-header .outcome').innerText()), 15_000, 200);
  assert.match(await view.locator('#details .fields').innerText(), /urn:xmpp:ping/);
  // The answer: the ping plugin produced a result to alice.
  assert.ok((await view.locator('#details .links a.packet-link').count()) >= 1, 'links to the produced result');
  await screenshot(page, 'inspector-e2e.png');
  const rowsShown = await view.locator('.rows .row').count();

  // Hidden behind another editor and shown again: the webview is rebuilt (no
  // retainContextWhenHidden) and refilled from the host's history.
  await runCommand(page, 'File: New Untitled Text File');
  await page.locator('.tabs-container .tab', { hasText: 'Untitled-1' }).waitFor({ timeout: 15_000 });
  await page.locator('.tabs-container .tab', { hasText: 'Stanza Inspector' }).click();
  await waitFor('the rows again', async () => (await view.locator('.rows .row').count()) >= rowsShown, 30_000, 250);
  assert.ok(await view.locator(`.rows .row[data-packet="${packetId}"]`).count(), 'the ping is still listed');

  // Reload the window: the serializer restores the panel with its state (selection, composer).
  await runCommand(page, 'Developer: Reload Window');
  await waitForWorkbench(page);
  await view.locator('#status').waitFor({ timeout: 60_000 });
  await waitFor('the restored composer', async () => (await view.locator('#composer-as').evaluate((el) => (el as unknown as { value: string }).value)) === `alice@${DOMAIN}/e2e`, 30_000, 250);
  await waitFor('the restored selection', async () => (await view.locator('#details').innerText()).includes(packetId), 30_000, 250);

  // The reload ended the old extension host and its sandbox: the banner says so, and its
  // button starts the sandbox again (no palette needed).
  await view.locator('#banner', { hasText: 'The sandbox is not running' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'inspector-e2e-stopped.png');
  await view.locator('#banner-start').click();
  await waitFor('the status bar to show running again', async () => /XMPP \d+/.test(await page.locator('.part.statusbar').innerText()), 60_000, 250);
  await view.locator('#banner').waitFor({ state: 'hidden', timeout: 30_000 });
});
