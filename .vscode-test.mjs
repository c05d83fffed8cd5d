// @vscode/test-cli config (`npx vscode-test`) for machines that can download VS Code: runs the
// same mocha suite as test/extension/vscode-suite.test.ts does in code-server. Build first:
// `node esbuild.mjs` (dist/ and out/test/suite/index.js).
import { defineConfig } from '@vscode/test-cli';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default defineConfig({
  files: 'out/test/suite/index.js',
  workspaceFolder: mkdtempSync(join(tmpdir(), 'xmpp-sandbox-ws-')),
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 60_000 },
});
