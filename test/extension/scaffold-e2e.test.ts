// XMPP: New Project… end to end, as a person would (issue 9): package the .vsix (it carries the
// sandbox library's `npm pack` tarball, since no registry serves xmpp-sandbox to an installed
// extension, and stays small), install it into code-server, start the sandbox from the palette,
// then run "XMPP: New Project…" and answer it by typing: "worker" in the template pick,
// Customize…, the project's name, the JID the wizard pre-filled from the running sandbox, and
// the target folder in the folder dialog. The project appears in VS Code's file explorer, the
// wizard's `npm install` (a task in a terminal) installs the library from the project's own
// vendor/ copy, the worker built and started against the extension's sandbox shows in the
// XMPP Sandbox view, and the project's own `npm test` passes, run from here in its folder.
// Prints the time from the wizard's last step to that connected worker (a figure, not a
// pass/fail). Screenshot: test-results/new-project.png (with UPDATE_SCREENSHOTS=1 also
// media/screenshots/new-project.png, the README's).

import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  FREE_PORT_SETTINGS,
  missingTools,
  openBrowser,
  openViewContainer,
  packageVsix,
  REPO_ROOT,
  runCommand,
  screenshot,
  sidebarTreeRows,
  startCodeServer,
  tempDir,
  waitFor,
  waitForNotification,
  waitForWorkbench,
  workbenchUrl,
  type BrowserSession,
  type CodeServer,
} from './harness';

const skip = missingTools();
const DOMAIN = 'scaffold.test';
const NAME = 'e2e-worker';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TARBALL = `xmpp-sandbox-${VERSION}.tgz`;
/** The VSIX holds bundles, templates, the README's screenshots and the library's tarball (about 1.2 MiB); shipping node_modules or sources would not fit. */
const VSIX_MAX_BYTES = 2 * 1024 * 1024;

let vsix = '';
let projects = '';
let cs: CodeServer | undefined;
let browser: BrowserSession | undefined;
let worker: ChildProcess | undefined;

before(async () => {
  if (skip) return;
  vsix = process.env.XMPP_SANDBOX_VSIX || packageVsix();
  // The workspace is the folder the project goes into, so the new folder shows in the file explorer.
  projects = tempDir('xmpp-new-e2e-');
  cs = await startCodeServer({ vsix, workspace: projects, workspaceSettings: { ...FREE_PORT_SETTINGS, 'xmppSandbox.domain': DOMAIN } });
  browser = await openBrowser();
});

after(async () => {
  if (worker?.exitCode === null) worker.kill('SIGKILL');
  await browser?.close();
  await cs?.stop();
});

/** The environment of a command run in the generated project: none of this test runner's or npm's own settings. */
function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if ((k.startsWith('npm_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') && !(k in extra)) delete env[k];
  return env;
}

/** The quick input's text box (quick pick, input box and the folder dialog alike). */
const quickInput = (page: Page) => page.locator('.quick-input-widget .quick-input-box input');

/** Waits for the quick input titled `title` (a step of the wizard) and returns its text box. */
async function step(page: Page, title: RegExp): Promise<ReturnType<typeof quickInput>> {
  let seen = '';
  await waitFor(`the step '${title}'`, async () => {
    seen = await page.locator('.quick-input-widget .quick-input-title').innerText().catch(() => '');
    return title.test(seen);
  }, 20_000, 100).catch(async (err: Error) => {
    await screenshot(page, 'new-project-failure.png');
    throw new Error(`${err.message} (the title reads '${seen}')`);
  });
  const input = quickInput(page);
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  return input;
}

/** Types `text` into a quick pick and presses Enter once the row `row` shows. */
async function pickByTyping(page: Page, title: RegExp, text: string, row: string): Promise<void> {
  const input = await step(page, title);
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
}

test('the VSIX carries the sandbox library as an npm pack tarball, and stays small', { skip: skip ?? false }, () => {
  const listing = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  const files = listing.stdout.split('\n').filter(Boolean);
  assert.ok(files.includes(`extension/vendor/${TARBALL}`), `extension/vendor/${TARBALL} in the VSIX: ${files.filter((f) => f.includes('vendor')).join(', ') || 'no vendor/'}`);
  assert.ok(files.includes('extension/templates/worker/template.json'), 'the templates are in it');
  assert.ok(!files.some((f) => f.includes('/node_modules/') || f.endsWith('.map') || f.startsWith('extension/src/')), 'no node_modules, source maps or sources');
  // The tarball is a package: its own package.json, the library and the CLI.
  const tar = spawnSync('sh', ['-c', `unzip -p "$0" "extension/vendor/${TARBALL}" | tar tzf -`, vsix], { encoding: 'utf8' });
  assert.equal(tar.status, 0, tar.stderr);
  for (const f of ['package/package.json', 'package/dist/lib.js', 'package/dist/sandbox.js', 'package/dist/types/sandbox/testing.d.ts']) assert.ok(tar.stdout.split('\n').includes(f), `${f} in the tarball`);
  const size = statSync(vsix).size;
  console.log(`VSIX: ${(size / 1024).toFixed(1)} KiB, ${files.length} files`);
  assert.ok(size < VSIX_MAX_BYTES, `the VSIX is ${(size / 1024).toFixed(1)} KiB`);
});

test('XMPP: New Project… from the palette: a worker project that installs offline from its vendor/ copy, connects to the sandbox, and passes its own tests', { skip: skip ?? false, timeout: 600_000 }, async () => {
  const page = browser!.page;
  await page.goto(workbenchUrl(cs!));
  await waitForWorkbench(page);

  await runCommand(page, 'XMPP: Start Sandbox');
  const note = await waitForNotification(page, /XMPP sandbox running: xmpp:\/\/127\.0\.0\.1:\d+/, 60_000);
  const [, service] = /XMPP sandbox running: (xmpp:\/\/127\.0\.0\.1:\d+)/.exec(note)!;

  // The folder the project goes into: new and empty, as the dialog requires.
  const dir = join(projects, NAME);
  mkdirSync(dir);

  await runCommand(page, 'XMPP: New Project…');
  await pickByTyping(page, /^XMPP: New Project \(1\/\d\)$/, 'worker', 'worker');
  // Step 2: "Use defaults" (with the values it would use) or Customize…: the README's screenshot.
  await step(page, /^XMPP: New Project: worker \(2\/4\)$/);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Use defaults' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  const defaults = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Use defaults' }).first().innerText();
  assert.match(defaults, new RegExp(`jid=worker@${DOMAIN.replace('.', '\\.')}`), `pre-filled from the running sandbox: ${defaults}`);
  const shot = await screenshot(page, 'new-project.png');
  if (process.env.UPDATE_SCREENSHOTS) copyFileSync(shot, join(REPO_ROOT, 'media', 'screenshots', 'new-project.png'));
  await pickByTyping(page, /^XMPP: New Project: worker \(2\/4\)$/, 'Customize', 'Customize');

  const name = await step(page, /^XMPP: New Project: worker \(3\/4\)$/);
  assert.match(await page.locator('.quick-input-widget').innerText(), /name: npm package name/);
  await name.fill('Not A Name');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: /Not valid/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await name.fill(NAME);
  await page.keyboard.press('Enter');

  const jid = await step(page, /^XMPP: New Project: worker \(4\/4\)$/);
  assert.equal(await jid.inputValue(), `worker@${DOMAIN}`, "the JID pre-filled with the running sandbox's domain");
  await page.keyboard.press('Enter');

  // The folder dialog (VS Code's own, a quick input in the browser): type the path, Enter.
  const folderInput = await step(page, /empty folder for the project/);
  await folderInput.fill(`${dir}/`);
  await waitFor('the typed path in the dialog', async () => (await folderInput.inputValue()) === `${dir}/`, 10_000, 100);
  await page.keyboard.press('Enter');
  const wizardDone = Date.now();

  // The dialog reads the typed folder asynchronously and may ignore an Enter that comes while
  // it does (seen on a loaded machine): if it is still open, press its button, as a person would.
  const accept = page.locator('.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget .monaco-button', { hasText: 'Create Project Here' }).first();
  await waitFor('the project written', async () => {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'vendor', TARBALL))) return true;
    if (Date.now() - wizardDone > 3000 && (await accept.isVisible().catch(() => false))) await accept.click().catch(() => undefined);
    return false;
  }, 30_000, 500).catch(async (err: Error) => {
    await screenshot(page, 'new-project-failure.png');
    throw err;
  });
  for (const f of ['package.json', 'README.md', '.env.example', 'src/main.ts', '.vscode/launch.json', `vendor/${TARBALL}`]) assert.ok(existsSync(join(dir, f)), `${f} written`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; devDependencies: Record<string, string> };
  assert.equal(pkg.name, NAME);
  assert.equal(pkg.devDependencies['xmpp-sandbox'], `file:vendor/${TARBALL}`, 'the library from the copy in the project');
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /## The xmpp-sandbox dependency[\s\S]*npm install --save-dev xmpp-sandbox@\^/, 'the README says how to switch to the registry');

  // The new folder in VS Code's file explorer, with its files.
  await page.keyboard.press('Control+Shift+E');
  const folderRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: NAME }).first();
  await folderRow.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await folderRow.getAttribute('aria-expanded')) !== 'true') await folderRow.click();
  await waitFor('the project files in the file explorer', async () => {
    const rows = await page.locator('.explorer-folders-view .monaco-list-row').allInnerTexts();
    return ['src', 'vendor', 'package.json', 'README.md'].every((f) => rows.some((r) => r.trim() === f));
  }, 30_000, 250);

  // The wizard's npm install runs as a task in a terminal; it is done when npm has written the lockfile and the progress is gone.
  await waitFor('the wizard\'s npm install', async () => {
    if (!existsSync(join(dir, 'package-lock.json')) || !existsSync(join(dir, 'node_modules', 'xmpp-sandbox', 'package.json'))) return false;
    const toasts = await page.locator('.notifications-toasts').innerText().catch(() => '');
    if (/npm install failed/.test(toasts)) throw new Error(`npm install failed:\n${toasts}`);
    return !/npm install in /.test(toasts);
  }, 300_000, 500);
  const installed = Date.now();
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; version?: string }> };
  assert.equal(lock.packages['node_modules/xmpp-sandbox']?.version, VERSION);
  assert.match(lock.packages['node_modules/xmpp-sandbox']?.resolved ?? '', new RegExp(`^file:vendor/${TARBALL.replace(/\./g, '\\.')}$`), 'installed from vendor/, not a registry');

  // F5's preLaunchTask, then its program, with the extension's sandbox in the environment.
  const build = spawnSync('npm', ['run', 'build'], { cwd: dir, env: projectEnv(), encoding: 'utf8', timeout: 180_000 });
  assert.equal(build.status, 0, `npm run build:\n${build.stdout}\n${build.stderr}`);
  const built = Date.now();
  worker = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: dir,
    env: projectEnv({ XMPP_SERVICE: service!, XMPP_DOMAIN: DOMAIN, XMPP_USERNAME: 'worker', XMPP_PASSWORD: 'sandbox', XMPP_RESOURCE: 'e2e' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  worker.stdout!.on('data', (d) => (out += d));
  worker.stderr!.on('data', (d) => (out += d));
  await waitFor('the worker ready', () => {
    if (worker!.exitCode !== null) throw new Error(`the worker exited (${worker!.exitCode}):\n${out}`);
    return /^ready /m.test(out);
  }, 60_000, 50);
  const ready = Date.now();
  await openViewContainer(page, 'XMPP Sandbox');
  await waitFor('the worker in the XMPP Sandbox view', async () => {
    const rows = await sidebarTreeRows(page);
    return rows.some((r) => r.includes(`worker@${DOMAIN}`)) && rows.some((r) => r.includes('e2e') && r.includes('priority'));
  }, 30_000, 100);
  const seen = Date.now();
  console.log(
    `wizard→connected worker: ${ready - wizardDone} ms (npm install ${installed - wizardDone} ms, build ${built - installed} ms, start→ready ${ready - built} ms; in the XMPP Sandbox view after ${seen - wizardDone} ms)`,
  );

  // Its session's context menu: "New Worker for this JID" opens the wizard past the template, with its JID.
  await page.locator('.part.sidebar .monaco-list-row', { hasText: `worker@${DOMAIN}` }).first().click({ button: 'right' });
  const menuItem = page.locator('.context-view .monaco-menu .action-item', { hasText: 'New Worker for this JID' }).first();
  await menuItem.waitFor({ state: 'visible', timeout: 10_000 });
  await menuItem.click();
  // A click that lands while the menu is still being laid out is lost (seen under load): the
  // menu then stays open. Choose the item again, from the keyboard, as a person would.
  await waitFor('the wizard opened from the context menu', async () => {
    if (!(await menuItem.isVisible().catch(() => false))) return true;
    await menuItem.hover().catch(() => undefined);
    await page.keyboard.press('Enter');
    return false;
  }, 20_000, 2000);
  await step(page, /^XMPP: New Project: worker \(1\/3\)$/);
  const prefilled = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Use defaults' }).first();
  await prefilled.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await prefilled.innerText(), new RegExp(`jid=worker@${DOMAIN.replace('.', '\\.')}`));
  await page.keyboard.press('Escape');
  worker.kill('SIGTERM');
  await new Promise((r) => worker!.once('exit', r));

  // The project's own tests: they start a sandbox of their own from the vendored library.
  const started = Date.now();
  const t = spawnSync('npm', ['test'], { cwd: dir, env: projectEnv(), encoding: 'utf8', timeout: 300_000 });
  const output = `${t.stdout}\n${t.stderr}`;
  assert.equal(t.status, 0, `npm test of the generated project:\n${output.slice(-6000)}`);
  const pass = Number(/^# pass (\d+)$/m.exec(output)?.[1] ?? 0);
  assert.ok(pass >= 3 && /^# fail 0$/m.test(output), `its tests ran and passed:\n${output.slice(-3000)}`);
  console.log(`generated project: npm test ${Date.now() - started} ms, ${pass} passed`);
});
