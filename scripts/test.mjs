// The test command (README: `npm test`). Builds the bundles, then runs every
// test/**/*.test.ts with node's built-in runner (tsx for TypeScript, global WebSocket for
// @xmpp/client on Node 20). Files under test/extension/suite run inside VS Code instead
// (test/extension/vscode-suite.test.ts starts them there).
//   node scripts/test.mjs                 everything
//   node scripts/test.mjs sandbox webview  only test/sandbox/** and test/webview/**
//   node scripts/test.mjs test/sandbox/xmpp/routing.test.ts   one file
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// A full run type-checks first (strict tsc), so CI is red on a type error.
if (args.length === 0) {
  for (const project of ['.', 'webview'].filter((p) => p === '.' || existsSync(join(p, 'tsconfig.json')))) {
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], { stdio: 'inherit' });
    if (tsc.status !== 0) {
      console.error(`type check failed (tsc -p ${project})`);
      process.exit(tsc.status ?? 1);
    }
  }
}

// Bundles are needed by the extension, webview and e2e tests only (sandbox tests run the TypeScript sources).
if (files.some((f) => !f.startsWith(join('test', 'sandbox') + '/'))) {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// spec for people, TAP into a file for the closing summary line CI reads.
const tapFile = join(mkdtempSync(join(tmpdir(), 'xmpp-sandbox-tests-')), 'results.tap');
const r = spawnSync(
  process.execPath,
  [
    '--experimental-websocket',
    '--no-warnings=ExperimentalWarning',
    '--import',
    'tsx',
    '--test',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
// Tests skip themselves when a peer (redis-server, prosody, code-server, chromium) is missing.
// That is a convenience on a developer's machine; in CI a skip would hide a missing install.
if (process.env.CI && skipped > 0) {
  const names = [...tap.matchAll(/^\s*ok \d+ - (.*) # SKIP(.*)$/gm)].map((m) => `  ${m[1]}:${m[2]}`);
  console.error(`CI: ${skipped} test(s) skipped; every peer must be installed by .ci/run:\n${names.join('\n')}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
