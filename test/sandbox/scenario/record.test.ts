// Record (sandbox/scenario/record.ts, control method trace.record): real @xmpp/client peers talk
// on a sandbox; its trace, recorded as a scenario, replays green with the runner against a fresh
// embedded sandbox; a recording whose received body is changed fails there (the replay checks);
// a selection of sessions leaves out what peers outside it caused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/client';
import type { Client } from '@xmpp/client';
import { parseScenario } from '../../../sandbox/scenario/parser';
import { runScenario } from '../../../sandbox/scenario/runner';
import { startSandbox } from '../../../sandbox/testing';
import { startXmppClient, stopClient } from '../../helpers/xmpp-client';

const TIMEOUT = 10_000;

async function recordedTraffic(t: { after(fn: () => Promise<void>): void }) {
  const sandbox = await startSandbox();
  const clients: Client[] = [];
  t.after(async () => {
    await Promise.all(clients.map(stopClient));
    await sandbox.stop();
  });
  const base = { service: sandbox.endpoints.c2s, domain: 'localhost', password: sandbox.endpoints.password, timeoutMs: TIMEOUT, clients };
  const from = Date.now();
  const juliet = await startXmppClient({ ...base, username: 'juliet', resource: 'balcony', presence: xml('presence', {}, xml('priority', {}, '5')) });
  await juliet.next((s) => s.is('presence'));
  const romeo = await startXmppClient({ ...base, username: 'romeo' }); // a resource the server generates
  await romeo.c.send(xml('message', { to: juliet.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'But soft!')));
  await juliet.next((s) => s.is('message'));
  await juliet.c.send(xml('iq', { type: 'get', id: 'ping-1', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  await juliet.next((s) => s.is('iq') && s.attrs.type === 'result');
  await romeo.c.send(xml('message', { to: 'nurse@localhost', type: 'chat' }, xml('body', {}, 'Anon!'))); // stored offline
  // The trace's outcome events come after the deliveries the clients saw: wait for the last one.
  for (let k = 0; k < 100; k++) {
    const events = await sandbox.control.call('trace.snapshot', {});
    if (events.some((e) => e.type === 'outcome' && e.outcome === 'stored-offline')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { sandbox, juliet, romeo, from };
}

test('a recorded scenario replays green on a fresh sandbox, and a changed one fails there', async (t) => {
  const { sandbox, romeo, juliet, from } = await recordedTraffic(t);
  const { scs } = await sandbox.control.call('trace.record', { from, title: 'Romeo and Juliet, recorded' });

  const script = parseScenario(scs, 'recorded.scs');
  assert.deepEqual(script.errors, [], scs);
  assert.equal(script.title, 'Romeo and Juliet, recorded');
  assert.match(scs, /^# Recorded from the trace of the sandbox at xmpp:\/\/127\.0\.0\.1:\d+: /m);
  assert.deepEqual(
    script.characters.map((c) => [c.name, c.class, c.properties.jid!.value, c.properties.password!.value]),
    [
      ['Juliet', 'Client', 'juliet@localhost/balcony', 'sandbox'],
      ['Romeo', 'Client', 'romeo@localhost', 'sandbox'], // its generated resource is not requested again
    ],
  );
  assert.ok(romeo.jid.startsWith('romeo@localhost/sandbox-'), romeo.jid);
  assert.deepEqual(
    script.actions.map((a) => a.text),
    [
      'Juliet connects',
      'Juliet sends:',
      'Juliet receives:',
      'Romeo connects',
      'Romeo sends:',
      'Juliet receives:',
      'Juliet sends:',
      'Juliet receives:',
      'Romeo sends:',
    ],
  );
  const bodies = script.actions.map((a) => a.body ?? '');
  // JIDs become variables; what varies between runs is {scansion:any} in what is received.
  assert.match(bodies[4]!, /^<message to="\$\{Juliet's full JID\}" type="chat" id="m1">/);
  assert.ok(!bodies[4]!.includes('from='), 'the server stamps from (RFC 6120 §8.1.2.1)');
  assert.match(bodies[5]!, /from="\$\{Romeo's full JID\}"/);
  assert.match(bodies[5]!, /id="\{scansion:any\}"/);
  assert.match(bodies[7]!, /^<iq [^>]*type="result"[^>]*id="\{scansion:any\}"/);
  assert.ok(!scs.includes(juliet.jid.replace('balcony', 'sandbox-')) && !/sandbox-[0-9a-f]{8}/.test(scs), 'no generated resource is left in the script');
  assert.match(scs, /^# trace packet p\d+$/m);

  const green = await runScenario(script, { timeoutMs: TIMEOUT });
  assert.equal(green.status, 'pass', JSON.stringify(green.steps.filter((s) => s.status === 'fail'), null, 1) + '\n' + scs);
  assert.equal(green.steps.length, 9);

  // The body's second appearance is what Juliet receives (the first is what Romeo sends).
  const at = scs.lastIndexOf('<body>But soft!</body>');
  const changed = parseScenario(`${scs.slice(0, at)}<body>What light?</body>${scs.slice(at + '<body>But soft!</body>'.length)}`, 'changed.scs');
  assert.deepEqual(changed.errors, []);
  assert.ok(changed.actions.some((a) => a.body?.includes('What light?')), 'the expected body was changed');
  const red = await runScenario(changed, { timeoutMs: TIMEOUT });
  assert.equal(red.status, 'fail');
  const failed = red.steps.find((s) => s.status === 'fail')!;
  assert.equal(failed.text, 'Juliet receives:');
  assert.match(failed.message!, /\/message\/body: text "But soft!", expected "What light\?"/);
});

test('recording chosen sessions: their sends and receives, minus what unrecorded peers caused', async (t) => {
  const { sandbox, juliet, from } = await recordedTraffic(t);
  const { scs } = await sandbox.control.call('trace.record', { from, jids: [juliet.jid] });
  const script = parseScenario(scs, 'juliet.scs');
  assert.deepEqual(script.errors, [], scs);
  assert.deepEqual(script.characters.map((c) => c.name), ['Juliet']);
  // Romeo's message to Juliet is left out (Romeo is not recorded, so nobody would send it again).
  assert.deepEqual(script.actions.map((a) => a.text), ['Juliet connects', 'Juliet sends:', 'Juliet receives:', 'Juliet sends:', 'Juliet receives:']);
  assert.match(scs, /Left out: 1 stanza caused by peers outside the selection\./);
  const r = await runScenario(script, { timeoutMs: TIMEOUT });
  assert.equal(r.status, 'pass', JSON.stringify(r.steps.filter((s) => s.status === 'fail')) + '\n' + scs);

  await assert.rejects(sandbox.control.call('trace.record', { from: 'yesterday' as unknown as number }), /'from' must be a number/);
  await assert.rejects(sandbox.control.call('trace.record', { to: from - 1 }), { code: 'not-found', message: /^nothing to record: no session sent or received a stanza in the selection$/ });
  await assert.rejects(sandbox.control.call('trace.record', { jids: 'juliet' as unknown as string[] }), /'jids' must be an array of strings/);
});
