// The inspector's Save as Scenario and `run:<tag>` filter (typed, or set by the host's Show in
// Inspector) in Chromium (harness.ts): the trace
// shown is a real sandbox's, with one session tagged as a scenario run (control trace.tagRun);
// the button sends the visible stanzas' time span (and the JID filter's sessions) to the host,
// whose controller has that real sandbox record it (trace.record) and saves the script.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { xml } from '@xmpp/client';
import type { ControlMethod, ControlParams, ControlResult } from '../../sandbox/control/api';
import { parseScenario } from '../../sandbox/scenario/parser';
import { validateWebviewMessage } from '../../src/protocol';
import { closeBrowser, openInspector, ReplayBackend, waitForStatus } from './harness';
import { startRealSandbox } from './real-sandbox';

after(closeBrowser);

test('Save as Scenario records the visible span through the host; run:<tag> shows one run', async (t) => {
  const sb = await startRealSandbox();
  t.after(() => sb.stop());
  const alice = await sb.connect('alice', 'laptop');
  const bob = await sb.connect('bob', 'phone');
  await bob.c.send(xml('presence'));
  await bob.next((s) => s.is('presence'));
  await sb.control.call('trace.tagRun', { run: 'run-7', jids: [alice.jid] });
  await alice.c.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, 'Hello Bob')));
  await bob.next((s) => s.is('message'));
  await sb.control.call('trace.untagRun', { run: 'run-7' });
  const events = await sb.control.call('trace.snapshot', {});
  const packets = new Set(events.flatMap((e) => (e.type === 'arrival' ? [e.packetId] : []))).size;

  // The trace replayed as the panel got it; recording is the real sandbox's own.
  class RecordingBackend extends ReplayBackend {
    override call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
      return method === 'trace.record' ? sb.control.call(method, params) : super.call(method, params);
    }
  }
  const ip = await openInspector(new RecordingBackend(events, await sb.control.call('sessions.list', {}), sb.endpoints.domain));
  t.after(() => ip.close());
  const { page } = ip;
  const all = await waitForStatus(page, (s) => s.packets === packets);

  await page.locator('#filter-text input').fill('run:run-7');
  const run = await waitForStatus(page, (s) => s.visible < all.visible);
  assert.ok(run.visible >= 1, 'the run shows');
  const shown: string[] = await page.evaluate(() => (globalThis as any).__inspector.visible.map((p: { arrival?: { run?: string } }) => p.arrival?.run ?? ''));
  assert.deepEqual([...new Set(shown)], ['run-7']);
  await page.locator('#filter-text input').fill('');
  await waitForStatus(page, (s) => s.visible === all.visible);

  // Show in Inspector of a scenario run: the host puts run:<tag> in the text filter.
  await ip.controller.setTextFilter('run:run-7');
  await waitForStatus(page, (s) => s.visible === run.visible);
  assert.equal(await page.locator('#filter-text input').inputValue(), 'run:run-7');
  await page.locator('#filter-text input').fill('');
  await waitForStatus(page, (s) => s.visible === all.visible);

  await page.locator('#btn-save-scenario').click();
  for (let i = 0; i < 250 && ip.scenarios.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ip.scenarios.length, 1, ip.logs.join('\n'));
  const script = parseScenario(ip.scenarios[0]!, 'saved.scs');
  assert.deepEqual(script.errors, []);
  assert.deepEqual(script.characters.map((c) => [c.name, c.properties.jid!.value]), [
    ['Bob', 'bob@localhost/phone'],
    ['Alice', 'alice@localhost/laptop'],
  ]);
  assert.deepEqual(script.actions.map((a) => a.text), ['Bob connects', 'Bob sends:', 'Bob receives:', 'Alice connects', 'Alice sends:', 'Bob receives:']);
  assert.match(script.actions[5]!.body!, /<body>Hello Bob<\/body>/);

  // The JID filter names the sessions recorded.
  await page.locator('#filter-jid input').fill('bob@localhost');
  // Every stanza here is from or to Bob, so the list does not shrink: wait for the saved filter.
  const jidFilter = () => page.evaluate(() => (globalThis as any).__savedState?.filters?.jid as string | undefined);
  for (let i = 0; i < 250 && (await jidFilter()) !== 'bob@localhost'; i++) await new Promise((r) => setTimeout(r, 20));
  await page.locator('#btn-save-scenario').click();
  for (let i = 0; i < 250 && ip.scenarios.length === 1; i++) await new Promise((r) => setTimeout(r, 20));
  const bobOnly = parseScenario(ip.scenarios[1]!, 'bob.scs');
  assert.deepEqual(bobOnly.characters.map((c) => c.name), ['Bob']);
  assert.match(ip.scenarios[1]!, /sessions bob@localhost\./);
});

test('the host refuses a saveScenario message that is not a time span and a list of JIDs', () => {
  const ok = (m: object) => validateWebviewMessage({ type: 'saveScenario', from: 1, to: 2, jids: [], ...m }).ok;
  assert.equal(ok({}), true);
  assert.equal(ok({ jids: ['bob@localhost', 'alice@localhost/laptop'] }), true);
  assert.equal(ok({ from: 3 }), false, 'from after to');
  assert.equal(ok({ to: Infinity }), false);
  assert.equal(ok({ from: '1' }), false);
  assert.equal(ok({ jids: ['<script>'] }), false);
  assert.equal(ok({ jids: 'bob@localhost' }), false);
  assert.equal(ok({ jids: Array.from({ length: 101 }, (_, k) => `u${k}@localhost`) }), false);
  assert.equal(ok({ extra: 1 }), false);
});
