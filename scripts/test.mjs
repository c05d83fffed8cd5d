// The test command (README: `npm test`). Builds the bundles, then runs every
// test/**/*.test.ts with node's built-in runner (tsx for TypeScript, global WebSocket for
// @xmpp/client on Node 20). Files under test/extension/suite run inside VS Code instead
// (test/extension/vscode-suite.test.ts starts them there).
//   node scripts/test.mjs                 everything
//   node scripts/test.mjs sandbox webview  only test/sandbox/** and test/webview/**
//   node scripts/test.mjs test/sandbox/xmpp/routing.test.ts   one file
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p === join('test', 'extension', 'suite') || name === 'fixtures' || name === 'node_modules') continue;
      out = out.concat(walk(p));
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk('test');
if (args.length) files = files.filter((f) => args.some((a) => f === a || f.startsWith(join('test', a) + '/') || f.startsWith(a)));
files.sort();
if (files.length === 0) {
  console.error(`no test files match ${args.join(' ')}`);
  process.exit(1);
}

const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const r = spawnSync(
  process.execPath,
  ['--experimental-websocket', '--no-warnings=ExperimentalWarning', '--import', 'tsx', '--test', '--test-timeout=300000', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
);
process.exit(r.status ?? 1);
