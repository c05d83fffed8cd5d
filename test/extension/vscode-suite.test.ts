// Runs the extension's mocha suite (test/extension/suite, bundled to out/test/suite/index.js)
// inside a real VS Code: code-server with an empty extensions dir and the smoke-test driver,
// opened in Chromium with the extension-test payload; the workbench calls codeAutomationExit
// with the suite's exit code. Also runnable with @vscode/test-cli (.vscode-test.mjs) where
// VS Code can be downloaded.

import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { extensionTestPayload, missingTools, openBrowser, REPO_ROOT, RESULTS_DIR, startCodeServer, workbenchUrl, type BrowserSession, type CodeServer } from './harness';

const skip = missingTools();
const SUITE = join(REPO_ROOT, 'out', 'test', 'suite', 'index.js');
const RESULTS = join(RESULTS_DIR, 'extension-suite.txt');

let cs: CodeServer | undefined;
let browser: BrowserSession | undefined;

before(() => rmSync(RESULTS, { force: true }));
after(async () => {
  await browser?.close();
  await cs?.stop();
});

test('the extension suite passes inside VS Code (code-server)', { skip: skip ?? false, timeout: 240_000 }, async () => {
  assert.ok(existsSync(SUITE), `${SUITE} missing: node esbuild.mjs builds it`);
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'sandbox.js')), 'dist/sandbox.js missing');
  cs = await startCodeServer({ smokeTestDriver: true, env: { XMPP_SANDBOX_SUITE_RESULTS: RESULTS } });
  browser = await openBrowser();
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  await browser.context.exposeFunction('codeAutomationExit', (code: number) => {
    resolveExit(code);
  });
  await browser.page.goto(workbenchUrl(cs, extensionTestPayload(cs, REPO_ROOT, SUITE)));
  const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`the suite did not finish in 200 s\n${cs?.output().slice(-4000)}`)), 200_000).unref());
  const code = await Promise.race([exited, timeout]);
  const results = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '(no results file)';
  console.log(`--- extension suite (inside code-server) ---\n${results}`);
  assert.equal(code, 0, `the suite failed:\n${results}\n--- code-server output ---\n${cs.output().slice(-4000)}`);
  assert.match(results, /\d+ passing, 0 failing/);
});
