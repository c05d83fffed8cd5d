// Control `scenario.run` (sandbox/scenario/live.ts): a script run inside a running sandbox,
// against it, as the editor runs one while the extension's sandbox is up. The sandbox here
// serves another domain than the script (example.org), so the domain rewrite is exercised; the
// script's accounts and component secret are accepted for the run only; the run's stanzas carry
// its tag in this sandbox's trace, and a trace expectation is answered from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { xml, type Client } from '@xmpp/client';
import { resolveConfig } from '../../../sandbox/config';
import { startSandbox } from '../../../sandbox/testing';
import { ConfigAccountStore, RunCredentials } from '../../../sandbox/xmpp/auth/accounts';
import type { ArrivalEvent } from '../../../sandbox/trace/events';
import { startXmppClient, stopClient } from '../../helpers/xmpp-client';

const SCENARIOS = join(__dirname, '../../../test/scenarios');

const SCRIPT = `# On the live sandbox
[Client] Romeo
\tjid: romeo@localhost
\tpassword: montague
[Client] Juliet
\tjid: juliet@localhost/balcony
\tpassword: capulet
[Component] Echo
\tjid: echo.localhost
\tpassword: s3cret
-----
Romeo connects
Juliet connects
Echo connects
Romeo sends:
\t<message to="\${Juliet's full JID}" type="chat"><body>Good morrow</body></message>
Romeo's last stanza was delivered
Juliet receives:
\t<message from="\${Romeo's full JID}" type="chat"><body>Good morrow</body></message>
Juliet sends:
\t<message to="\${Echo's JID}" type="chat"><body>echo?</body></message>
Echo receives:
\t<message from="\${Juliet's full JID}" to="echo.localhost"><body>echo?</body></message>
Romeo disconnects
`;

test('scenario.run runs a script on the running sandbox: its accounts for the run only, its stanzas tagged, trace expectations answered', async (t) => {
  const sandbox = await startSandbox({ domain: 'example.org' });
  const clients: Client[] = [];
  t.after(async () => {
    await Promise.all(clients.map(stopClient));
    await sandbox.stop();
  });
  const since = (await sandbox.control.call('status', {})).lastTraceSeq;
  const report = await sandbox.control.call('scenario.run', { file: '/scripts/live.scs', text: SCRIPT });
  assert.equal(report.scripts.length, 1);
  const [script] = report.scripts;
  assert.equal(script!.status, 'pass', JSON.stringify(script!.steps.filter((s) => s.status === 'fail')));
  assert.deepEqual([report.passed, report.failed], [1, 0]);
  assert.equal(script!.steps.find((s) => s.text === "Romeo's last stanza was delivered")!.status, 'pass');
  assert.match(script!.run!, /^live-[0-9a-f]{6}$/);

  // Every stanza the run's clients sent, and the receiver's copy, carry the run's tag (a
  // message to a component passes the stages once, forwarded to it).
  const arrivals = (await sandbox.control.call('trace.snapshot', { sinceSeq: since })).filter((e): e is ArrivalEvent => e.type === 'arrival' && e.kind === 'message');
  assert.deepEqual(
    arrivals.map((a) => [a.from, a.direction, a.run]),
    [
      [arrivals[0]!.from, 'out', script!.run],
      [arrivals[0]!.from, 'in', script!.run],
      [arrivals[2]!.from, 'out', script!.run],
    ],
  );
  assert.match(arrivals[0]!.from!, /^romeo@example\.org\//);
  assert.equal(arrivals[2]!.from, 'juliet@example.org/balcony');

  // The accounts were the run's: after it, romeo logs in with the sandbox's password again.
  const romeo = await startXmppClient({ service: sandbox.endpoints.c2s, domain: 'example.org', username: 'romeo', password: sandbox.endpoints.password, resource: 'after', timeoutMs: 5000, clients });
  assert.equal(romeo.jid, 'romeo@example.org/after');
  // and its tag ended with it: what romeo sends now is untagged.
  await romeo.c.send(xml('message', { to: 'juliet@example.org', type: 'chat' }, xml('body', {}, 'after')));
  const deadline = Date.now() + 5000;
  let later: ArrivalEvent | undefined;
  while (!later && Date.now() < deadline) {
    later = (await sandbox.control.call('trace.snapshot', { sinceSeq: since })).find((e): e is ArrivalEvent => e.type === 'arrival' && e.xml.includes('<body>after</body>'));
    if (!later) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(later, 'the message after the run is in the trace');
  assert.equal(later.run, undefined);
});

test('scenario.run: a plugin-dir script runs when the sandbox loaded that folder, else it is skipped with the reason; Run to Here; bad input is a clear error', async (t) => {
  const withPlugins = await startSandbox({ config: { xmpp: { pluginDir: join(SCENARIOS, 'plugins') } } });
  const plain = await startSandbox();
  t.after(() => Promise.all([withPlugins.stop(), plain.stop()]));
  const file = join(SCENARIOS, 'trace-blocked.scs');

  const blocked = (await withPlugins.control.call('scenario.run', { file })).scripts[0]!;
  assert.equal(blocked.status, 'pass', JSON.stringify(blocked.steps.filter((s) => s.status === 'fail')));
  assert.ok(blocked.steps.some((s) => s.text === "Romeo's last stanza was blocked by no-spam" && s.status === 'pass'));

  const skipped = (await plain.control.call('scenario.run', { file })).scripts[0]!;
  assert.equal(skipped.status, 'skip');
  assert.match(skipped.reason!, /needs the plugins of .*test\/scenarios\/plugins, which the running sandbox has not loaded/);

  const toHere = (await plain.control.call('scenario.run', { file: join(SCENARIOS, 'login-presence.scs'), untilLine: 1 })).scripts[0]!;
  assert.equal(toHere.status, 'pass');
  assert.ok(toHere.steps.length > 0 && toHere.steps.every((s) => s.status === 'skip'), 'no step starts on line 1');

  await assert.rejects(plain.control.call('scenario.run', { file: '' }), { code: 'bad-params', message: "'file' must be a non-empty string" });
  await assert.rejects(plain.control.call('scenario.run', { file, untilLine: 0 }), { code: 'bad-params', message: "'untilLine' must be 1 or more" });
  await assert.rejects(plain.control.call('scenario.run', { file: '/no/such/script.scs' }), { code: 'not-found', message: /^cannot read the scenario \/no\/such\/script\.scs: ENOENT/ });
  assert.equal((await plain.control.call('status', {})).state, 'running', 'the sandbox goes on');
});

test("a run's credentials: over the config's while declared, gone after; a second run may not give one account another password", () => {
  const runs = new RunCredentials();
  const store = new ConfigAccountStore(resolveConfig({ xmpp: { password: 'sandbox', accounts: { romeo: 'config' }, components: { 'echo.localhost': 'cfg' } } }), runs);
  const release = runs.declare({ accounts: { Romeo: 'montague' }, components: { 'echo.localhost': 's3cret' } });
  assert.deepEqual([store.passwordFor('romeo'), store.componentSecret('echo.localhost')], ['montague', 's3cret']);
  assert.throws(() => runs.declare({ accounts: { juliet: 'capulet', romeo: 'other' }, components: {} }), /the account romeo is declared with another password by a run still going/);
  assert.equal(store.passwordFor('juliet'), 'sandbox', 'a refused declaration declares nothing');
  const same = runs.declare({ accounts: { romeo: 'montague' }, components: {} });
  release();
  assert.equal(store.passwordFor('romeo'), 'montague', 'still declared by the second run');
  same();
  same();
  assert.deepEqual([store.passwordFor('romeo'), store.componentSecret('echo.localhost'), store.componentSecret('nobody.localhost')], ['config', 'cfg', undefined]);
});
