// Bundles the three rooms: dist/sandbox.js (node, CLI + IPC child), dist/extension.js
// (node, vscode external) and dist/webview.js (browser). Entries that do not exist yet are
// skipped. Flags: --only=sandbox,extension,webview,tests  --watch  --production
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only='))?.slice(7) ?? '').split(',').filter(Boolean);
const watch = args.includes('--watch');
const production = args.includes('--production');

const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', legalComments: 'none' };

const targets = {
  sandbox: {
    ...common,
    entryPoints: ['sandbox/cli.ts'],
    outfile: 'dist/sandbox.js',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
  },
  extension: {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
  },
  webview: {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    loader: { '.css': 'css', '.ttf': 'file' },
  },
  lib: {
    // The npm package's Node entries (package.json "exports"): `xmpp-sandbox` → startSandbox
    // (sandbox/testing.ts), `xmpp-sandbox/plugin-api` → the plugin API's runtime helpers.
    // Self-contained bundles; their .d.ts come from tsc (typesForLib below) into dist/types/.
    ...common,
    entryPoints: { lib: 'sandbox/testing.ts', 'plugin-api': 'sandbox/plugin-api.ts' },
    outdir: 'dist',
    sourcemap: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
  },
  tests: {
    // The extension's mocha suite, run inside VS Code's extension host.
    ...common,
    entryPoints: ['test/extension/suite/index.ts'],
    outdir: 'out/test/suite',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'mocha'],
  },
};

const entries = (t) => (Array.isArray(t.entryPoints) ? t.entryPoints : Object.values(t.entryPoints));
const chosen = Object.entries(targets).filter(([name, t]) => (only.length === 0 || only.includes(name)) && entries(t).every((e) => existsSync(e)));

// The library's declarations (dist/types/sandbox/testing.d.ts, plugin-api.d.ts and what they
// import), emitted by tsc when `lib` is asked for by name (--only=lib; npm pack's prepack):
// a few seconds, so the everyday build skips it.
function typesForLib() {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'sandbox/tsconfig.types.json'], { stdio: 'inherit' });
  // Exit 2: type errors, declarations written all the same (`npm run check-types` is the gate for those).
  if (r.status === 2) console.warn('tsc reported type errors (above); the library declarations were written anyway');
  else if (r.status !== 0) throw new Error('tsc: the library declarations failed');
}

if (watch) {
  for (const [, t] of chosen) await (await esbuild.context(t)).watch();
  console.log(`watching ${chosen.map(([n]) => n).join(', ')}`);
} else {
  await Promise.all(chosen.map(([, t]) => esbuild.build(t)));
  if (only.includes('lib')) typesForLib();
  console.log(`built ${chosen.map(([n]) => n).join(', ') || 'nothing'}`);
}
