// The template renderer (sandbox/scaffold/render.ts) and the `new` command's argument
// handling, on small templates written by the test, plus a check of every real template's
// manifest and placeholders. Nothing here installs or builds a project: templates.test.ts does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ScaffoldError,
  checkManifest,
  defaultTemplatesRoot,
  findSandboxTarball,
  listTemplates,
  loadTemplate,
  renderTemplate,
  resolveVariables,
  scaffold,
  substitute,
  type TemplateManifest,
} from '../../../sandbox/scaffold/render';
import { runCli } from '../../../sandbox/cli/run';

const manifest: TemplateManifest = {
  id: 'demo',
  description: 'a demo',
  variables: [
    { key: 'name', flag: 'name', description: 'npm name', default: 'demo-app', pattern: '[a-z][a-z0-9-]*', patternHelp: 'lower-case letters, digits and -' },
    { key: 'jid', flag: 'jid', description: 'bare JID', default: '{{name}}@localhost', pattern: '[a-z0-9.-]+@[a-z0-9.-]+', patternHelp: 'user@domain' },
  ],
  rename: { _gitignore: '.gitignore' },
};

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-scaffold-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A templates folder with the demo template in it. */
async function demoRoot(dir: string): Promise<string> {
  const root = join(dir, 'templates');
  await mkdir(join(root, 'demo', 'src'), { recursive: true });
  await writeFile(join(root, 'demo', 'template.json'), JSON.stringify(manifest));
  await writeFile(join(root, 'demo', 'package.json'), '{ "name": "{{name}}" }\n');
  await writeFile(join(root, 'demo', 'src', '{{name}}.ts'), "export const user = '{{ jid | localpart }}', domain = '{{jid|domainpart}}';\n// ${{ not.a.placeholder }} and {single}\n");
  await writeFile(join(root, 'demo', '_gitignore'), 'dist/\n');
  return root;
}

test('substitution: plain, filtered, spaced; other braces are left alone; unknown variables and filters are template errors', () => {
  const v = { name: 'app', jid: 'bot@example.org' };
  assert.equal(substitute('{{name}}/{{ jid | localpart }}@{{jid|domainpart}}', v), 'app/bot@example.org');
  assert.equal(substitute('${{ secrets.TOKEN }} {x} {{ }}', v), '${{ secrets.TOKEN }} {x} {{ }}');
  assert.equal(substitute('{{jid|domainpart}}', { jid: 'example.org' }), 'example.org', 'a domain without @ is its own domain part');
  assert.throws(() => substitute('{{nope}}', v, 'f.ts'), (e: unknown) => e instanceof ScaffoldError && e.code === 'template-error' && /f\.ts: unknown variable \{\{nope\}\}/.test(e.message));
  assert.throws(() => substitute('{{name|upper}}', v), /unknown filter 'upper'/);
});

test('variables: defaults (rendered from earlier values), given values, validation with every problem in one message', () => {
  assert.deepEqual(resolveVariables(manifest, {}), { name: 'demo-app', jid: 'demo-app@localhost' });
  assert.deepEqual(resolveVariables(manifest, { name: 'shop' }), { name: 'shop', jid: 'shop@localhost' }, "jid's default follows name");
  assert.deepEqual(resolveVariables(manifest, {}, { sandboxPackage: '^1.0.0' }).sandboxPackage, '^1.0.0', 'builtins are values too');
  assert.throws(
    () => resolveVariables(manifest, { name: 'Bad Name', jid: 'no-at-sign' }),
    (e: unknown) =>
      e instanceof ScaffoldError && e.code === 'invalid-variable' && e.message.includes("name 'Bad Name' is not valid: lower-case letters, digits and -") && e.message.includes("jid 'no-at-sign' is not valid: user@domain"),
  );
  assert.throws(() => resolveVariables(manifest, { name: 'ok', 'x-y': '1' }), (e: unknown) => e instanceof ScaffoldError && e.code === 'unknown-variable' && /no variable 'x-y' \(its variables: name, jid\)/.test(e.message));
  // The pattern is anchored by the renderer: a valid prefix is not enough.
  assert.throws(() => resolveVariables(manifest, { name: 'ok/../../etc' }), /name 'ok\/\.\.\/\.\.\/etc' is not valid/);
});

test('manifests are checked: a bad id, a missing field, a broken pattern, a duplicate key', () => {
  assert.throws(() => checkManifest({ ...manifest, id: 'Bad' }, 'x'), /id must match/);
  assert.throws(() => checkManifest({ ...manifest, description: '' }, 'x'), /description/);
  assert.throws(() => checkManifest({ ...manifest, variables: [{ ...manifest.variables[0]!, pattern: '[' }] }, 'x'), /variables\[0\]\.pattern/);
  assert.throws(() => checkManifest({ ...manifest, variables: [manifest.variables[0]!, manifest.variables[0]!] }, 'x'), /declared twice/);
  assert.equal(checkManifest(JSON.parse(JSON.stringify(manifest)), 'x').id, 'demo');
});

test('rendering writes substituted contents and names, renames, and refuses a non-empty folder without writing', async (t) => {
  const dir = await tempDir(t);
  const root = await demoRoot(dir);
  const out = join(dir, 'out');
  const r = await scaffold({ root, template: 'demo', dir: out, values: { name: 'shop', jid: 'orders@example.org' } });
  assert.deepEqual(r.files.sort(), ['.gitignore', 'package.json', 'src/shop.ts']);
  assert.equal(await readFile(join(out, 'package.json'), 'utf8'), '{ "name": "shop" }\n');
  assert.equal(await readFile(join(out, 'src', 'shop.ts'), 'utf8'), "export const user = 'orders', domain = 'example.org';\n// ${{ not.a.placeholder }} and {single}\n");

  // The same folder again: refused, nothing changed.
  await assert.rejects(scaffold({ root, template: 'demo', dir: out }), (e: unknown) => e instanceof ScaffoldError && e.code === 'target-not-empty' && /is not empty \(3 entries/.test(e.message));
  assert.deepEqual((await readdir(out)).sort(), ['.gitignore', 'package.json', 'src']);
  // A file in the way, and an existing empty folder (accepted).
  await writeFile(join(dir, 'a-file'), 'x');
  await assert.rejects(scaffold({ root, template: 'demo', dir: join(dir, 'a-file') }), /exists and is not a folder/);
  await mkdir(join(dir, 'empty'));
  assert.equal((await scaffold({ root, template: 'demo', dir: join(dir, 'empty') })).files.length, 3);
  // A bad value: nothing is written, not even the folder.
  await assert.rejects(scaffold({ root, template: 'demo', dir: join(dir, 'never'), values: { name: 'NO' } }), /name 'NO' is not valid/);
  assert.equal(existsSync(join(dir, 'never')), false);
  // An unknown template names the ones there are.
  await assert.rejects(scaffold({ root, template: 'demon', dir: join(dir, 'x') }), (e: unknown) => e instanceof ScaffoldError && e.code === 'unknown-template' && e.known.join() === 'demo');
});

test('a rendered path may not leave the project', () => {
  const t = { manifest: { ...manifest, rename: { evil: '../{{name}}' } }, files: [{ path: 'evil', content: '' }] };
  assert.throws(() => renderTemplate(t, { name: 'x', jid: 'a@b' }), /not inside the project/);
});

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('xmpp-sandbox new: lists templates, writes a project, and exits 2 with a clear message on usage errors', async (t) => {
  const dir = await tempDir(t);
  const root = await demoRoot(dir);
  const list = await cli(['new', '--templates', root]);
  assert.equal(list.code, 0);
  assert.match(list.out, /demo\s+a demo/);

  const ok = await cli(['new', 'demo', join(dir, 'p1'), '--templates', root, '--jid', 'bot@example.net', '--yes']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Created demo project 'p1'/, 'the name defaults to the folder name');
  assert.match(await readFile(join(dir, 'p1', 'src', 'p1.ts'), 'utf8'), /user = 'bot', domain = 'example.net'/);

  const cases: [string[], RegExp][] = [
    [['new', 'dmeo', join(dir, 'p2')], /unknown template 'dmeo' \(did you mean 'demo'\?\)/],
    [['new', 'demo', join(dir, 'p1'), '--yes'], /is not empty/],
    [['new', 'demo', join(dir, 'p3'), '--name', 'Not Valid', '--yes'], /name 'Not Valid' is not valid: lower-case letters/],
    [['new', 'demo', join(dir, 'p4'), '--set', 'colour=red', '--yes'], /no variable 'colour'/],
    [['new', 'demo', join(dir, 'p5'), '--set', 'novalue', '--yes'], /--set needs KEY=VALUE/],
    [['new', 'demo'], /missing <dir>/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli([...argv, '--templates', root]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, message, argv.join(' '));
    assert.match(r.err, /usage: xmpp-sandbox new/);
  }
  for (const p of ['p2', 'p3', 'p4', 'p5']) assert.equal(existsSync(join(dir, p)), false, `${p} not created`);
});

test('xmpp-sandbox new vendors the library tarball that sits beside its templates: a copy in vendor/, a file: dependency, a README note', async (t) => {
  const dir = await tempDir(t);
  const root = await demoRoot(dir);
  await writeFile(join(root, 'demo', 'README.md'), '# {{name}}\n');
  await writeFile(join(root, 'demo', 'dependency.txt'), '{{sandboxPackage}}\n');
  const { version } = JSON.parse(await readFile(join(defaultTemplatesRoot(), '..', 'package.json'), 'utf8')) as { version: string };
  const name = `xmpp-sandbox-${version}.tgz`;
  const bytes = Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 255]);

  // Without vendor/: the registry spec, as before.
  assert.equal(findSandboxTarball(root, version), undefined);
  const plain = await cli(['new', 'demo', join(dir, 'plain'), '--templates', root, '--yes']);
  assert.equal(plain.code, 0, plain.err);
  assert.equal(await readFile(join(dir, 'plain', 'dependency.txt'), 'utf8'), `^${version}\n`);

  await mkdir(join(dir, 'vendor'));
  await writeFile(join(dir, 'vendor', name), bytes);
  const r = await cli(['new', 'demo', join(dir, 'app'), '--templates', root, '--yes']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`xmpp-sandbox comes from vendor/${name.replace(/\./g, '\\.')}`));
  assert.deepEqual(await readFile(join(dir, 'app', 'vendor', name)), bytes, 'a byte-for-byte copy');
  assert.equal(await readFile(join(dir, 'app', 'dependency.txt'), 'utf8'), `file:vendor/${name}\n`);
  const readme = await readFile(join(dir, 'app', 'README.md'), 'utf8');
  assert.match(readme, /^# app\n\n## The xmpp-sandbox dependency\n/);
  assert.ok(readme.includes(`npm install --save-dev xmpp-sandbox@^${version} && rm -r vendor`), readme);

  // An explicit --sandbox-package wins: nothing vendored.
  const given = await cli(['new', 'demo', join(dir, 'given'), '--templates', root, '--yes', '--sandbox-package', 'file:../x.tgz']);
  assert.equal(given.code, 0, given.err);
  assert.equal(await readFile(join(dir, 'given', 'dependency.txt'), 'utf8'), 'file:../x.tgz\n');
  assert.equal(existsSync(join(dir, 'given', 'vendor')), false);
  assert.doesNotMatch(await readFile(join(dir, 'given', 'README.md'), 'utf8'), /xmpp-sandbox dependency/);
});

test('the real templates: valid manifests, every placeholder known, every file renders with the defaults', () => {
  const root = defaultTemplatesRoot();
  const ids = listTemplates(root).map((m) => m.id);
  assert.ok(ids.includes('worker') && ids.includes('bridge'), ids.join());
  for (const id of ids) {
    const template = loadTemplate(root, id);
    const files = renderTemplate(template, resolveVariables(template.manifest, {}, { sandboxPackage: '^0.0.0' }));
    const paths = files.map((f) => f.path);
    for (const required of ['package.json', 'tsconfig.json', 'README.md', '.env.example', '.gitignore', '.vscode/launch.json', '.vscode/tasks.json']) {
      assert.ok(paths.includes(required), `${id} has ${required}`);
    }
    for (const f of files.filter((f) => f.path.endsWith('.json'))) assert.doesNotThrow(() => JSON.parse(f.content), `${id}/${f.path} is JSON`);
    const pkg = JSON.parse(files.find((f) => f.path === 'package.json')!.content);
    for (const script of ['build', 'start', 'test']) assert.ok(pkg.scripts[script], `${id}: npm ${script}`);
    assert.equal(pkg.devDependencies['xmpp-sandbox'], '^0.0.0');
    assert.ok(paths.some((p) => /^test\/.*\.test\.ts$/.test(p)), `${id} has tests`);
  }
});
