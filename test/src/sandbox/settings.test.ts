import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { resolveConfig } from '../../../sandbox/config';
import { PORT_SETTINGS } from '../../../sandbox/control/api';
import { buildOverrides, needsRestart, SETTING_FOR_PORT, withPassword } from '../../../src/sandbox/settings';

/** A WorkspaceConfiguration over plain values: what VS Code hands the extension. */
function config(values: Record<string, unknown>): vscode.WorkspaceConfiguration {
  return {
    get: <T>(key: string, def?: T) => (key in values ? values[key] : def) as T,
    has: (key: string) => key in values,
    inspect: () => undefined,
    update: async () => undefined,
  } as unknown as vscode.WorkspaceConfiguration;
}

const base = { globalStoragePath: '/tmp/global-storage', componentSecret: 'gen-secret-123456' };

test('defaults give the documented ports, domain and data directory, and a valid sandbox config', () => {
  const o = buildOverrides({ ...base, config: config({}) });
  const c = resolveConfig(o);
  assert.equal(c.xmpp.c2sPort, 5222);
  assert.equal(c.xmpp.wsPort, 5280);
  assert.equal(c.xmpp.componentPort, 5347);
  assert.equal(c.queue.port, 6380);
  assert.equal(c.xmpp.domain, 'localhost');
  assert.equal(c.xmpp.password, 'sandbox');
  assert.equal(c.dataDir, '/tmp/global-storage');
  assert.equal(c.host, '127.0.0.1');
});

test('every setting reaches the sandbox config', () => {
  const o = buildOverrides({
    ...base,
    workspaceFolder: '/work/ws',
    config: config({
      'ports.c2s': 15222,
      'ports.websocket': -1,
      'ports.component': 0,
      'ports.queue': 16380,
      domain: 'example.test',
      password: 'pw',
      accounts: { alice: 'wonderland' },
      dataDirectory: '.data',
      'trace.bufferSize': 1234,
      tieBreak: 'round-robin',
      pluginFolder: 'plugins',
      logLevel: 'debug',
    }),
  });
  const c = resolveConfig(o);
  assert.equal(c.xmpp.c2sPort, 15222);
  assert.equal(c.xmpp.wsPort, -1);
  assert.equal(c.xmpp.componentPort, 0);
  assert.equal(c.queue.port, 16380);
  assert.equal(c.xmpp.domain, 'example.test');
  assert.equal(c.xmpp.password, 'pw');
  assert.deepEqual(c.xmpp.accounts, { alice: 'wonderland' });
  assert.equal(c.dataDir, '/work/ws/.data');
  assert.equal(c.trace.bufferSize, 1234);
  assert.equal(c.xmpp.tieBreak, 'round-robin');
  assert.equal(c.xmpp.pluginDir, '/work/ws/plugins');
  assert.equal(c.logLevel, 'debug');
});

test('the generated component secret replaces the default one for the bridge and the components', () => {
  const c = resolveConfig(buildOverrides({ ...base, config: config({ domain: 'example.test' }) }));
  assert.deepEqual(c.xmpp.components, { 'bridge.example.test': 'gen-secret-123456', 'component.example.test': 'gen-secret-123456' });
  assert.equal(c.bridge.domain, 'bridge.example.test');
  assert.equal(c.bridge.secret, 'gen-secret-123456');
});

test("the external queue's password (from the secret store) goes into its URL, not into settings", () => {
  const o = buildOverrides({ ...base, externalQueuePassword: 'p@ss', config: config({ 'bridge.redisUrl': 'redis://127.0.0.1:6379' }) });
  assert.equal(o.bridge?.redisUrl, 'redis://:p%40ss@127.0.0.1:6379');
  assert.equal(withPassword('redis://:own@h:1', 'other'), 'redis://:own@h:1');
  assert.equal(withPassword('', 'x'), '');
});

test('every port a PortInUseError can name maps to its own contributed setting', async () => {
  const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')));
  const props = Object.keys(pkg.contributes.configuration.properties);
  for (const path of PORT_SETTINGS) {
    const setting = SETTING_FOR_PORT[path];
    assert.ok(setting && props.includes(setting), `${path} → ${setting}`);
  }
  assert.deepEqual(Object.keys(SETTING_FOR_PORT).sort(), [...PORT_SETTINGS].sort());
  assert.equal(new Set(Object.values(SETTING_FOR_PORT)).size, PORT_SETTINGS.length, 'no two ports share a setting');
});

test('xmppSandbox.allowedOrigins reaches xmpp.allowedOrigins (validated there); none by default', async () => {
  const origins = ['http://app.example:3000', 'https://staging.example', '*'];
  const c = resolveConfig(buildOverrides({ ...base, config: config({ allowedOrigins: origins }) }));
  assert.deepEqual(c.xmpp.allowedOrigins, origins);
  assert.deepEqual(resolveConfig(buildOverrides({ ...base, config: config({}) })).xmpp.allowedOrigins, []);
  assert.throws(() => resolveConfig(buildOverrides({ ...base, config: config({ allowedOrigins: ['app.example'] }) })), /xmpp\.allowedOrigins: "app\.example" is not an origin/);
  const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')));
  const setting = pkg.contributes.configuration.properties['xmppSandbox.allowedOrigins'];
  assert.equal(setting.type, 'array');
  assert.deepEqual(setting.default, []);
  const pattern = new RegExp(setting.items.pattern);
  for (const ok of [...origins, 'null', 'vscode-webview://abc']) assert.ok(pattern.test(ok), `the settings editor accepts ${ok}`);
  for (const bad of ['app.example', 'http://app.example/path']) assert.ok(!pattern.test(bad), `the settings editor flags ${bad}`);
});

test('a change of xmppSandbox.allowedOrigins restarts a running sandbox, also together with autoStart', () => {
  const changed = (keys: string[]) => ({ affectsConfiguration: (section: string) => section === 'xmppSandbox' || keys.some((k) => section === `xmppSandbox.${k}`) }) as vscode.ConfigurationChangeEvent;
  assert.equal(needsRestart(changed(['allowedOrigins'])), true);
  assert.equal(needsRestart(changed(['allowedOrigins', 'autoStart'])), true);
  assert.equal(needsRestart(changed(['autoStart'])), false);
});
