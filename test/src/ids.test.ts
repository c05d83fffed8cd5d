// src/ids.ts and package.json declare the same identifiers: a command added to one and not the
// other (or renamed in one) fails here rather than as a silent no-op in VS Code.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS, CONTEXT_KEYS, SETTINGS_SECTION, VIEWS } from '../../src/ids';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, unknown> };
    viewsWelcome: { view: string; when?: string }[];
    walkthroughs: { steps: { completionEvents?: string[] }[] }[];
  };
};
const c = manifest.contributes;

test('package.json contributes exactly the commands of src/ids.ts', () => {
  assert.deepEqual(c.commands.map((x) => x.command).sort(), Object.values(COMMANDS).sort());
});

test('every menu entry names a declared command', () => {
  const known = new Set<string>(Object.values(COMMANDS));
  for (const [menu, entries] of Object.entries(c.menus)) for (const e of entries) assert.ok(known.has(e.command), `${menu}: ${e.command} is not in src/ids.ts`);
});

test('the explorer view is declared with the id src/ids.ts uses', () => {
  const views = Object.values(c.views).flat().map((v) => v.id);
  assert.ok(views.includes(VIEWS.explorer), `views: ${views.join(', ')}`);
  for (const w of c.viewsWelcome) assert.equal(w.view, VIEWS.explorer);
});

test('every context key a when clause reads is one the extension sets', () => {
  const keys = new Set<string>(Object.values(CONTEXT_KEYS));
  const whens = [
    ...Object.values(c.menus).flat().map((e) => e.when ?? ''),
    ...c.viewsWelcome.map((w) => w.when ?? ''),
    ...c.walkthroughs.flatMap((w) => w.steps.flatMap((s) => s.completionEvents ?? [])),
  ];
  for (const when of whens) {
    for (const [, key] of when.matchAll(/\b(xmppSandbox\.[A-Za-z.]+)\s*(?:==|!=|=~)/g)) assert.ok(keys.has(key!), `'${when}' reads ${key}, not in CONTEXT_KEYS`);
  }
});

test('every setting lives in the xmppSandbox section', () => {
  for (const key of Object.keys(c.configuration.properties)) assert.ok(key.startsWith(SETTINGS_SECTION + '.'), key);
});
