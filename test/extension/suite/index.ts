// The extension's mocha suite, run INSIDE VS Code's extension host (the standard run()
// entry @vscode/test-electron and the workbench's extensionTestsPath both call). Bundled by
// esbuild (target 'tests') to out/test/suite/index.js, with vscode and mocha external: mocha
// resolves from the extension folder's node_modules at run time.
// Mocha's console output reaches code-server's log unexpanded, so the results also go to a
// file: $XMPP_SANDBOX_SUITE_RESULTS, else <repo>/test-results/extension-suite.txt.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Mocha from 'mocha';
import { activationTests } from './activation.test';
import { lifecycleTests } from './lifecycle.test';
import { failureTests } from './failures.test';
import { scenarioTests } from './scenario.test';
import { scaffoldTests } from './scaffold.test';
import { queueViewTests } from './queue-view.test';
import { errorTests } from './errors.test';
import { walkthroughTests } from './walkthrough.test';

function registerAll(): void {
  activationTests();
  lifecycleTests();
  failureTests();
  scenarioTests();
  scaffoldTests();
  queueViewTests();
  errorTests();
  walkthroughTests();
}

// @vscode/test-cli loads this file with mocha's globals already defined: register at load time.
if (typeof (globalThis as { describe?: unknown }).describe === 'function') registerAll();

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.XMPP_SANDBOX_SUITE_GREP;
  if (grep) mocha.grep(grep);
  // Define describe/it/before… on the global object, then register the bundled test files.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  registerAll();

  const resultsFile = process.env.XMPP_SANDBOX_SUITE_RESULTS || join(resolve(__dirname, '..', '..', '..'), 'test-results', 'extension-suite.txt');
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  return new Promise((res, rej) => {
    const runner = mocha.run((failures) => {
      lines.push('', `${passed} passing, ${failed} failing`);
      try {
        mkdirSync(dirname(resultsFile), { recursive: true });
        writeFileSync(resultsFile, lines.join('\n') + '\n');
      } catch (err) {
        console.error(`could not write ${resultsFile}: ${(err as Error).message}`);
      }
      if (failures > 0) rej(new Error(`${failures} test(s) failed`));
      else res();
    });
    runner.on('pass', (t) => {
      passed++;
      lines.push(`ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on('fail', (t, err: Error) => {
      failed++;
      lines.push(`FAIL ${t.fullTitle()}`, `     ${(err.stack ?? err.message).split('\n').join('\n     ')}`);
    });
    runner.on('pending', (t) => lines.push(`skip ${t.fullTitle()}`));
  });
}
