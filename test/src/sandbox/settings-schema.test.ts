// Settings checked against package.json's own schema before a start or restart
// (src/sandbox/settings.ts settingProblems), and "Use a Free Port" for one run (withPort).

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { buildOverrides, settingProblems, withPort, type SettingSchema } from '../../../src/sandbox/settings';

const properties = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { contributes: { configuration: { properties: Record<string, SettingSchema> } } }).contributes
  .configuration.properties;

const config = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T }) as Pick<vscode.WorkspaceConfiguration, 'get'>;

test('the defaults of package.json pass their own schema', () => {
  const defaults = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.slice('xmppSandbox.'.length), (v as { default?: unknown }).default]));
  assert.deepEqual(settingProblems(properties, config(defaults)), []);
});

test('a bad value is named by its setting, with what it must be', () => {
  assert.deepEqual(settingProblems(properties, config({ 'ports.queue': 70000 })), [
    { setting: 'xmppSandbox.ports.queue', message: 'xmppSandbox.ports.queue is 70000: it must be at most 65535.' },
  ]);
  assert.deepEqual(settingProblems(properties, config({ 'ports.c2s': 5222.5, 'ports.websocket': -2, tieBreak: 'random', domain: 'a b', allowedOrigins: ['nope'] })).map((p) => p.message), [
    'xmppSandbox.ports.c2s is 5222.5: it must be a whole number.',
    'xmppSandbox.ports.websocket is -2: it must be at least -1.',
    'xmppSandbox.domain is "a b": it does not match ^[A-Za-z0-9.-]+$.',
    'xmppSandbox.allowedOrigins is ["nope"]: it has "nope", which does not match ^(\\*|null|[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\\s]+/?)$.',
    'xmppSandbox.tieBreak is "random": it must be one of "all", "round-robin".',
  ]);
});

test('withPort replaces one port for a run, by its setting, and leaves the rest', () => {
  const o = buildOverrides({ config: { get: <T>(_k: string, d?: T) => d as T } as vscode.WorkspaceConfiguration, globalStoragePath: '/tmp/g', componentSecret: 's' });
  const p = withPort(o, 'xmppSandbox.ports.c2s', 0);
  assert.equal(p.xmpp?.c2sPort, 0);
  assert.equal(p.xmpp?.wsPort, 5280);
  assert.equal(o.xmpp?.c2sPort, 5222, 'the settings overrides are not changed');
  assert.equal(withPort(o, 'xmppSandbox.ports.queue', 0).queue?.port, 0);
  assert.equal(withPort(o, 'xmppSandbox.domain', 0), o);
});
