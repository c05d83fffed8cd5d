// Bundles the three rooms: dist/sandbox.js (node, CLI + IPC child), dist/extension.js
// (node, vscode external) and dist/webview.js (browser). Entries that do not exist yet are
// skipped. Flags: --only=sandbox,extension,webview,tests  --watch  --production
import * as esbuild from 'esbuild';
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

const chosen = Object.entries(targets).filter(([name, t]) => (only.length === 0 || only.includes(name)) && t.entryPoints.every((e) => existsSync(e)));

if (watch) {
  for (const [, t] of chosen) await (await esbuild.context(t)).watch();
  console.log(`watching ${chosen.map(([n]) => n).join(', ')}`);
} else {
  await Promise.all(chosen.map(([, t]) => esbuild.build(t)));
  console.log(`built ${chosen.map(([n]) => n).join(', ') || 'nothing'}`);
}
