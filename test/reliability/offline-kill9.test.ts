// kill -9 of the sandbox with messages for an offline user in flight (issue 12; XEP-0198 §4,
// XEP-0160): a sender with stream management on streams chat messages to a user who is not
// online and asks for acks; the server process is killed with SIGKILL in the middle of it,
// then started again on the same data directory. Every message the server's <a h/> covered
// must be delivered to the recipient exactly once, in order, after the restart: an ack means
// the message was stored (the offline store appends synchronously before the pipeline goes
// on to the next stanza, and the ack is written after the stanzas it counts were processed).
// Messages sent but not acknowledged may or may not survive, but never out of order or twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tmpDir, until } from '../sandbox/queue/helpers';
import { rawLogin, type RawClient } from '../sandbox/xmpp/stream/harness';

const ROOT = path.join(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'sandbox', 'cli.ts');

interface Running {
  child: ChildProcess;
  port: number;
}

/** `xmpp-sandbox serve --json`, c2s only, on a free port; its endpoints line gives the port. */
async function serve(dataDir: string): Promise<Running> {
  const args = ['--import', 'tsx', CLI, 'serve', '--json', '--data-dir', dataDir, '--c2s-port', '0', '--ws-port', '-1', '--component-port', '-1', '--no-queue', '--no-bridge', '--no-trace', '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await until(() => /"c2s":"xmpp:\/\/[^"]+:\d+"/.test(out) || child.exitCode !== null, 60_000, 'the sandbox to print its endpoints');
  if (child.exitCode !== null) throw new Error(`sandbox exited ${child.exitCode}: ${out}`);
  return { child, port: Number(/"c2s":"xmpp:\/\/[^"]+:(\d+)"/.exec(out)![1]) };
}

function kill9(r: Running): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    r.child.once('exit', () => resolve());
    r.child.kill('SIGKILL');
  });
}

/** The highest h of the <a/> elements received so far (XEP-0198 §4). */
function lastAck(c: RawClient): number {
  let h = -1;
  for (const m of c.data.matchAll(/<a xmlns=['"]urn:xmpp:sm:3['"] h=['"](\d+)['"]/g)) h = Math.max(h, Number(m[1]));
  return h;
}

describe('kill -9 with offline messages in flight', () => {
  it('every message the server acknowledged (XEP-0198 <a h/>) is delivered exactly once, in order, after a restart', { timeout: 180_000 }, async (t: TestContext) => {
    const dir = tmpDir('offline-kill9');
    let server = await serve(dir);
    t.after(() => kill9(server));

    const alice = await rawLogin(server.port, 'alice', 'sandbox', 'sender');
    t.after(() => alice.destroy());
    alice.write("<enable xmlns='urn:xmpp:sm:3'/>");
    await alice.waitFor(/<enabled /);
    alice.data = '';

    // Stream messages to bob (not online: each is stored offline), 50 at a time, each batch
    // followed by <r/>, keeping about two batches ahead of the acks, until 2,000 are acked.
    const BATCH = 50;
    const TARGET = 2000;
    let sent = 0;
    const batch = () => {
      let s = '';
      for (let i = 0; i < BATCH; i++, sent++) s += `<message to='bob@localhost' type='chat' id='m${sent}'><body>m-${sent}</body></message>`;
      alice.write(s + "<r xmlns='urn:xmpp:sm:3'/>");
    };
    batch();
    batch();
    let acked = -1;
    await until(() => {
      acked = lastAck(alice);
      while (sent - Math.max(acked, 0) < 2 * BATCH && acked < TARGET) batch();
      return acked >= TARGET;
    }, 120_000, `${TARGET} messages acknowledged`);
    // Now, with a batch or two not yet acknowledged on their way: SIGKILL, no clean stop.
    batch();
    await kill9(server);
    acked = Math.max(acked, lastAck(alice));
    t.diagnostic(`sent ${sent}, acknowledged ${acked} when the server was killed`);

    server = await serve(dir);
    const bob = await rawLogin(server.port, 'bob', 'sandbox', 'reader');
    t.after(() => bob.destroy());
    bob.write('<presence/>');
    // Everything acknowledged must come; wait until the last acknowledged body is there, then
    // a little longer for anything stored beyond it (an unacknowledged tail).
    await bob.waitFor(new RegExp(`<body>m-${acked - 1}</body>`), 60_000);
    for (let seen = -1, n = 0; n !== seen; ) {
      seen = n;
      await new Promise((r) => setTimeout(r, 500));
      n = (bob.data.match(/<body>m-\d+<\/body>/g) ?? []).length;
    }

    const bodies = [...bob.data.matchAll(/<body>m-(\d+)<\/body>/g)].map((m) => Number(m[1]));
    t.diagnostic(`delivered after the restart: ${bodies.length} (acknowledged ${acked}, sent ${sent})`);
    assert.equal(new Set(bodies).size, bodies.length, 'no message delivered twice');
    assert.deepEqual(bodies, bodies.map((_, i) => i), 'delivered in order, with no gap: a prefix of what was sent');
    assert.ok(bodies.length >= acked, `all ${acked} acknowledged messages delivered (got ${bodies.length})`);
    assert.ok(bodies.length <= sent);
    assert.match(bob.data, /<delay xmlns=['"]urn:xmpp:delay['"]/);
  });
});
