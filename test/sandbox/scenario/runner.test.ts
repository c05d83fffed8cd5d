// The scenario runner (sandbox/scenario/runner.ts) with real @xmpp/client, @xmpp/component and
// ioredis peers on 127.0.0.1: against the embedded sandbox it starts per script, and against a
// server given by URL (here a sandbox of another domain, so the --domain rewrite is exercised).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../../../sandbox/index';
import { parseScenario } from '../../../sandbox/scenario/parser';
import { runScenario, skipReason, type RunOptions, type StepResult } from '../../../sandbox/scenario/runner';

const ROMEO = '[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: montague\n';
const JULIET = '[Client] Juliet\n\tjid: juliet@localhost/balcony\n\tpassword: capulet\n';

function run(text: string, opts: RunOptions = {}) {
  const steps: StepResult[] = [];
  return runScenario(parseScenario(text, 'inline.scs'), { ...opts, onStep: (s) => steps.push(s) }).then((r) => ({ ...r, reported: steps }));
}

test('IQs are the script’s to answer: the client libraries do not answer them for it', async () => {
  const r = await run(
    `# iq\n${ROMEO}${JULIET}-----
Romeo connects
Juliet connects
Romeo sends:
\t<iq type="get" id="v1" to="\${Juliet's full JID}"><query xmlns="jabber:iq:version"/></iq>
Juliet receives:
\t<iq type="get" id="v1" from="\${Romeo's full JID}"><query xmlns="jabber:iq:version"/></iq>
Romeo receives: nothing
Juliet sends:
\t<iq type="result" id="v1" to="\${Romeo's full JID}"><query xmlns="jabber:iq:version"><name>j</name></query></iq>
Romeo receives:
\t<iq type="result" id="v1" from="\${Juliet's full JID}"><query xmlns="jabber:iq:version"><name>j</name></query></iq>
Romeo disconnects
Juliet disconnects
`,
  );
  assert.equal(r.status, 'pass', JSON.stringify(r.steps.filter((s) => s.status === 'fail')));
  assert.equal(r.steps.length, 9);
  assert.deepEqual(r.reported, r.steps, 'onStep saw every step');
});

test('a failed step reports its line, why, the diff and what came; the steps after it are not run', async () => {
  const r = await run(
    `# fail\n${ROMEO}${JULIET}-----
Romeo connects
Juliet connects
Romeo sends:
\t<message to="\${Juliet's full JID}" type="chat"><body>Good night</body></message>
Juliet receives:
\t<message type="chat">
\t\t<body>Parting</body>
\t</message>
Romeo disconnects
Juliet disconnects
`,
  );
  assert.equal(r.status, 'fail');
  const failed = r.steps.find((s) => s.status === 'fail')!;
  assert.equal(failed.line, 13);
  assert.equal(failed.endLine, 16);
  assert.equal(failed.message, '/message/body: text "Good night", expected "Parting"');
  assert.match(failed.diff!, /^- {3}<body>Parting<\/body>$/m);
  assert.match(failed.diff!, /^\+ {3}<body>Good night<\/body>$/m);
  assert.match(failed.received!, /<message [^>]*from="romeo@localhost\/[^"]+"/);
  assert.match(failed.expected!, /<body>Parting<\/body>/);
  assert.equal(r.reason, `line 13: ${failed.message}`);
  assert.deepEqual(
    r.steps.slice(-2).map((s) => [s.status, s.message]),
    [
      ['skip', 'not run: the step on line 13 failed'],
      ['skip', 'not run: the step on line 13 failed'],
    ],
  );
});

// Scansion listens only while a `receives` step waits, so Prosody's own scripts (basic_message.scs)
// leave unread what arrived during other steps; the runner passes over such stanzas when they do
// not match, and still fails a step on a mismatch that arrives while it waits (the test above).
test('a stanza that came in before the step and does not match is passed over; when none matches, the step says so with a diff', async () => {
  const say = (body: string) => `Romeo sends:\n\t<message to="\${Juliet's full JID}" type="chat"><body>${body}</body></message>\n`;
  const r = await run(
    `# pass over\n${ROMEO}${JULIET}-----
Romeo connects
Juliet connects
${say('first')}${say('second')}Romeo receives: nothing
Juliet receives:
\t<message><body>second</body></message>
${say('third')}Romeo receives: nothing
Juliet receives within 300ms:
\t<message><body>fourth</body></message>
`,
  );
  assert.equal(r.status, 'fail');
  assert.deepEqual(
    r.steps.map((s) => [s.line, s.status]),
    [[9, 'pass'], [10, 'pass'], [11, 'pass'], [13, 'pass'], [15, 'pass'], [16, 'pass'], [18, 'pass'], [20, 'pass'], [21, 'fail']],
  );
  const failed = r.steps.at(-1)!;
  assert.equal(failed.message, 'nothing received within 300 ms; the 1 stanza(s) received before the step did not match');
  assert.match(failed.diff!, /^\+ {3}<body>third<\/body>$/m);
  assert.match(failed.received!, /<body>third<\/body>/);
});

test('a receive that never comes fails at its own timeout; nothing that comes fails `receives: nothing`', async () => {
  const started = Date.now();
  const r = await run(`# t\n${ROMEO}-----\nRomeo connects\nRomeo receives within 300ms:\n\t<message/>\n`, { timeoutMs: 60_000 });
  assert.equal(r.status, 'fail');
  const step = r.steps[1]!;
  assert.equal(step.message, 'nothing received within 300 ms');
  assert.ok(step.durationMs >= 280 && step.durationMs < 1500, `took ${step.durationMs} ms`);
  assert.ok(Date.now() - started < 15_000, 'the run ended soon after');

  const n = await run(`# n\n${ROMEO}-----\nRomeo connects\nRomeo sends:\n\t<presence/>\nRomeo receives: nothing\n`);
  assert.equal(n.status, 'fail');
  assert.equal(n.steps[2]!.message, 'received a stanza within 500 ms, expected nothing');
  assert.match(n.steps[2]!.received!, /^<presence/);
});

test('`receives: nothing` ignores what came in before the step began, as `receives:` does', async () => {
  // Romeo's `receives: nothing` (500 ms) lets the message reach Juliet before her step begins:
  // Scansion's client was not listening then, so her `receives: nothing` does not see it.
  const r = await run(
    `# before\n${ROMEO}${JULIET}-----
Romeo connects
Juliet connects
Romeo sends:
\t<message to="\${Juliet's full JID}" type="chat"><body>early</body></message>
Romeo receives: nothing
Juliet receives: nothing
`,
  );
  assert.equal(r.status, 'pass', JSON.stringify(r.steps.filter((s) => s.status === 'fail')));
  assert.equal(r.steps.at(-1)!.text, 'Juliet receives: nothing');
  assert.equal(r.steps.at(-1)!.status, 'pass');
});

test('the embedded sandbox takes each declared account; one account with two passwords is an error', async () => {
  const r = await run(`# pw\n${ROMEO}[Client] Mallory\n\tjid: romeo@localhost/x\n\tpassword: guess\n-----\nMallory connects\n`);
  assert.equal(r.status, 'fail');
  assert.equal(r.reason, 'cannot start the embedded sandbox: Romeo and Mallory are the same account (romeo@localhost) with different passwords');
  assert.deepEqual(
    r.steps.map((s) => [s.status, s.message]),
    [['skip', 'not run: the server did not start']],
  );
});

test('a connection the server closes fails the next step at once, with the stream error', async () => {
  // Two sessions of one full JID: the sandbox ends the old one with <conflict/> (docs/interop.md §1.6).
  const r = await run(`# conflict\n[Client] Romeo\n\tjid: romeo@localhost/desk\n\tpassword: montague\n[Client] Romeo again\n\tjid: romeo@localhost/desk\n\tpassword: montague\n-----\nRomeo connects\nRomeo again connects\nRomeo receives:\n\t<message/>\n`);
  assert.equal(r.status, 'fail');
  const step = r.steps[2]!;
  assert.match(step.message!, /^Romeo's connection was closed: .*conflict/);
  assert.ok(step.durationMs < 2000, `failed after ${step.durationMs} ms, not at the timeout`);
});

test('variables: a full JID before its client connected fails with the reason', async () => {
  const r = await run(`# v\n${ROMEO}[Client] Juliet\n\tjid: juliet@localhost\n\tpassword: capulet\n-----\nRomeo connects\nRomeo sends:\n\t<message to="\${Juliet's full JID}"/>\n`);
  assert.equal(r.status, 'fail');
  assert.equal(r.steps[1]!.message, "${Juliet's full JID}: Juliet has not connected yet, so has no full JID");
});

test('a script with errors does not run; tags select scripts', async () => {
  const bad = await run(`# bad\n${ROMEO}-----\nRomeo conects\n`);
  assert.equal(bad.status, 'fail');
  assert.equal(bad.steps.length, 0);
  assert.equal(bad.errors[0]!.line, 6);

  const tagged = parseScenario(`# tagged\n## sandbox\n## status: stable\n${ROMEO}-----\nRomeo connects\n`);
  assert.equal(skipReason(tagged, [], ['slow', 'sandbox']), "tagged 'sandbox' (--skip-tags slow,sandbox)");
  assert.equal(skipReason(tagged, ['status: stable'], []), null);
  assert.equal(skipReason(tagged, ['status: beta'], []), "not tagged 'status: beta' (--only-tags)");
  const r = await runScenario(tagged, { skipTags: ['sandbox'] });
  assert.equal(r.status, 'skip');
  assert.deepEqual(
    r.steps.map((s) => s.status),
    ['skip'],
  );
});

test('queues: pushes LPUSH, receives pops (BLPOP, or BRPOP with pop: right), as text or XML', async () => {
  const r = await run(
    `# q
[Queue] Left
\tlist: q1
[Queue] Right
\tlist: q1
\tpop: right
-----
Left pushes:
\tfirst
Left pushes:
\t<job id="2"><name>second</name></job>
Right receives:
\tfirst
Left receives:
\t<job id="{scansion:any}"><name>second</name></job>
Left receives within 200ms: nothing
Right pushes:
\tthird
Right receives:
\tfourth
`,
  );
  assert.equal(r.status, 'fail');
  assert.deepEqual(
    r.steps.map((s) => s.status),
    ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'fail'],
  );
  assert.equal(r.steps[6]!.message, 'text "third", expected "fourth"');
  assert.equal(r.steps[6]!.diff, '- fourth\n+ third');
});

test('against a server given by URL, with the script’s domain replaced by --domain', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'scenario-server-'));
  const sandbox = createSandbox({
    dataDir,
    logLevel: 'error',
    xmpp: { domain: 'example.org', c2sPort: 0, wsPort: -1, componentPort: 0, accounts: { romeo: 'montague', juliet: 'capulet' }, components: { 'echo.example.org': 'echo-secret' } },
    queue: { port: 0 },
    bridge: { enabled: false },
  });
  const endpoints = await sandbox.start();
  t.after(async () => {
    await sandbox.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const componentPort = new URL(endpoints.component!).port;
  const r = await run(
    `# external
${ROMEO}${JULIET}[Component] Echo
\tjid: echo.localhost
\tpassword: echo-secret
\tconnect_port: ${componentPort}
-----
Echo connects
Romeo connects
Juliet connects
Romeo sends:
\t<message to="juliet@localhost/balcony" type="chat"><body>to localhost</body></message>
Juliet receives:
\t<message from="\${Romeo's full JID}" to="juliet@localhost/balcony"><body>to localhost</body></message>
Juliet sends:
\t<message to="echo.localhost"><body>echo</body></message>
Echo receives:
\t<message from="\${Juliet's full JID}" to="\${Echo's JID}"/>
Romeo disconnects
Juliet disconnects
Echo disconnects
`,
    { server: endpoints.c2s, domain: 'example.org' },
  );
  assert.equal(r.status, 'pass', JSON.stringify(r.steps.filter((s) => s.status === 'fail')));
  assert.equal(sandbox.status().stanzasIn > 0, true, 'the script talked to that server');

  // That server knows Romeo's password, not Mallory's guess.
  const wrong = await run(`# pw\n[Client] Mallory\n\tjid: romeo@localhost\n\tpassword: guess\n-----\nMallory connects\n`, { server: endpoints.c2s, domain: 'example.org' });
  assert.equal(wrong.status, 'fail');
  assert.match(wrong.steps[0]!.message!, new RegExp(`^Mallory could not connect to ${endpoints.c2s}: .*not-authorized`));
});
