// Trace expectations (`Romeo's last stanza was blocked by no-spam`, docs/scenarios.md): parsed with
// their line, answered from the embedded sandbox's trace (pass and fail), skipped with the reason
// against another server; and the run tag the runner gives its sessions (control trace.tagRun):
// what a tagged session sends, and what is made of it, carries `run` in the trace and its export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml, type Client } from '@xmpp/client';
import { parseScenario } from '../../../sandbox/scenario/parser';
import { runScenario, type StepResult } from '../../../sandbox/scenario/runner';
import { startSandbox } from '../../../sandbox/testing';
import type { ArrivalEvent } from '../../../sandbox/trace/events';
import { startXmppClient, stopClient } from '../../helpers/xmpp-client';

const ROOT = join(__dirname, '../../..');
const SCENARIOS = join(ROOT, 'test/scenarios');
const HEAD = `# inline
## plugin-dir: plugins
[Client] Romeo
\tjid: romeo@localhost
\tpassword: montague
[Client] Juliet
\tjid: juliet@localhost/balcony
\tpassword: capulet
-----
Romeo connects
Juliet connects
Juliet sends:
\t<presence/>
Juliet receives:
\t<presence/>
`;
const SPAM = `Romeo sends:
\t<message to="\${Juliet's full JID}" type="chat"><body>spam, spam, spam</body></message>
`;

/** Runs a script written inline as if it were a file in test/scenarios (its plugin-dir resolves there). */
async function run(text: string, opts: { server?: string } = {}) {
  const steps: StepResult[] = [];
  const r = await runScenario(parseScenario(text, join(SCENARIOS, 'inline.scs')), { ...opts, timeoutMs: 5000, onStep: (s) => steps.push(s) });
  return { ...r, failed: steps.find((s) => s.status === 'fail') };
}

test('the trace expectation parses: outcome, plugin, line; mistakes are errors with their line', () => {
  const ok = parseScenario(`${HEAD}${SPAM}Romeo's last stanza was blocked by no-spam\nRomeo's last stanza was stored offline\n`);
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(
    ok.actions.filter((a) => a.verb === 'outcome').map((a) => [a.line, a.actor, a.traced]),
    [
      [18, 'Romeo', { outcome: 'blocked', by: 'no-spam' }],
      [19, 'Romeo', { outcome: 'stored-offline' }],
    ],
  );
  const bad = parseScenario(`${HEAD}Romeo's last stanza was delivered by no-spam\nRomeo's last stanza was eaten\n`);
  assert.deepEqual(
    bad.errors.map((e) => [e.line, e.message.split('.')[0]]),
    [
      [16, "'by' names the plugin of an outcome blocked, dropped or handled, not delivered"],
      [17, "unknown action ''s last stanza was eaten' for Romeo"],
    ],
  );
  assert.match(bad.errors[1]!.message, /'Romeo's last stanza was blocked by PLUGIN'/);
  const queue = parseScenario(`# q\n[Queue] Jobs\n\tlist: jobs\n-----\nJobs's last stanza was delivered\n`);
  assert.match(queue.errors[0]!.message, /^a \[Queue\] cannot 'outcome'/);
});

test("our trace scripts pass against the embedded sandbox, and are skipped against another server with the reason", async () => {
  for (const name of ['trace-blocked.scs', 'trace-offline.scs']) {
    const file = join(SCENARIOS, name);
    const script = parseScenario(readFileSync(file, 'utf8'), file);
    const r = await runScenario(script, { timeoutMs: 5000 });
    assert.equal(r.status, 'pass', `${name}: ${JSON.stringify(r.steps.filter((s) => s.status === 'fail'))}`);
    assert.ok(r.steps.some((s) => s.verb === 'outcome' && s.status === 'pass'));
    assert.match(r.run!, new RegExp(`^${name.replace('.scs', '')}-[0-9a-f]{6}$`));
    const away = await runScenario(script, { server: 'xmpp://127.0.0.1:1' });
    assert.equal(away.status, 'skip');
    assert.match(away.reason!, /^line \d+ \('Romeo's last stanza was .*'\) needs the sandbox's trace, which another server does not show: run it without --server$/);
    assert.ok(away.steps.every((s) => s.status === 'skip'));
  }
});

test('a trace expectation the trace contradicts fails with what the trace shows', async () => {
  const delivered = await run(`${HEAD}${SPAM}Romeo's last stanza was delivered\n`);
  assert.equal(delivered.status, 'fail');
  assert.equal(delivered.failed!.line, 18);
  assert.match(delivered.failed!.message!, /^expected delivered; the trace shows p\d+ blocked by no-spam$/);

  const otherPlugin = await run(`${HEAD}${SPAM}Romeo's last stanza was blocked by bad-words\n`);
  assert.match(otherPlugin.failed!.message!, /^expected blocked by bad-words; the trace shows p\d+ blocked by no-spam$/);

  const kind = await run(`${HEAD}Romeo sends:\n\t<message to="\${Juliet's full JID}" type="chat"><body>hi</body></message>\nRomeo's last stanza was stored offline\n`);
  assert.match(kind.failed!.message!, /^expected stored-offline; the trace shows p\d+ forwarded, then p\d+ delivered to juliet@localhost\/balcony$/);

  const nothingSent = await run(`${HEAD}Romeo's last stanza was delivered\n`);
  assert.equal(nothingSent.failed!.message, "Romeo has sent nothing yet: this step follows a 'Romeo sends:'");
});

test('a tagged session: what it sends and what is made of it carry the run tag, in snapshot and export, until untagged', async (t) => {
  const sandbox = await startSandbox();
  const clients: Client[] = [];
  t.after(async () => {
    await Promise.all(clients.map(stopClient));
    await sandbox.stop();
  });
  const base = { service: sandbox.endpoints.c2s, domain: 'localhost', password: 'sandbox', timeoutMs: 5000, clients };
  const romeo = await startXmppClient({ ...base, username: 'romeo', resource: 'r' });
  const juliet = await startXmppClient({ ...base, username: 'juliet', resource: 'balcony', presence: xml('presence') });
  await juliet.next((s) => s.is('presence'));

  const tagged = await sandbox.control.call('trace.tagRun', { run: 'run-1', jids: [romeo.jid] });
  assert.equal(tagged.sessionIds.length, 1);
  await assert.rejects(sandbox.control.call('trace.tagRun', { run: 'run-1', jids: ['nobody@localhost/x'] }), /no connected session is nobody@localhost\/x/);
  const since = (await sandbox.control.call('status', {})).lastTraceSeq;
  await romeo.c.send(xml('message', { to: juliet.jid, type: 'chat' }, xml('body', {}, 'tagged')));
  await juliet.next((s) => s.is('message'));
  await juliet.c.send(xml('message', { to: romeo.jid, type: 'chat' }, xml('body', {}, 'not tagged')));
  await romeo.next((s) => s.is('message'));
  assert.deepEqual(await sandbox.control.call('trace.untagRun', { run: 'run-1' }), { untagged: true });
  await romeo.c.send(xml('message', { to: juliet.jid, type: 'chat' }, xml('body', {}, 'after the run')));
  await juliet.next((s) => s.is('message'));

  const arrivals = (await sandbox.control.call('trace.snapshot', { sinceSeq: since })).filter((e): e is ArrivalEvent => e.type === 'arrival' && e.kind === 'message');
  const byBody = (body: string) => arrivals.filter((a) => a.xml.includes(`<body>${body}</body>`)).map((a) => [a.direction, a.run]);
  assert.deepEqual(byBody('tagged'), [
    ['out', 'run-1'],
    ['in', 'run-1'], // the receiver's copy, made from the tagged packet
  ]);
  assert.deepEqual(byBody('not tagged'), [
    ['out', undefined],
    ['in', undefined],
  ]);
  assert.deepEqual(byBody('after the run'), [
    ['out', undefined],
    ['in', undefined],
  ]);
  const lines = (await sandbox.control.call('trace.export', { sinceSeq: since })).jsonl.trim().split('\n');
  assert.equal(lines.filter((l) => l.includes('"run":"run-1"')).length, 2);
  assert.ok(lines.filter((l) => l.includes('<body>not tagged</body>')).every((l) => !l.includes('"run"')), 'untagged events have no run key');
});
