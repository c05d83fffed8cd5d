// The bridge as the trace shows it, inside the whole sandbox (createSandbox: embedded queue,
// server and bridge): a stanza popped from the outbox arrives with its source list named, a
// refused item is traced as a dead letter with its reason, and the bridge's own disco#info
// answer is not taken for a queue item.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { xml, type Client } from '@xmpp/client';
import Redis from 'ioredis';
import { createSandbox, type Sandbox } from '../../../sandbox/index';
import type { ArrivalEvent, QueueEvent, TraceEvent } from '../../../sandbox/trace/events';
import { startXmppClient, stopClient, type XmppTestClient } from '../../helpers/xmpp-client';

let sandbox: Sandbox;
let dataDir: string;
let app: Redis;
let worker: XmppTestClient;
const clients: Client[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bridge-trace-'));
  sandbox = createSandbox({ dataDir, host: '127.0.0.1', logLevel: 'error', xmpp: { c2sPort: 0, wsPort: -1, componentPort: 0 }, queue: { port: 0 }, trace: { enabled: true, bufferSize: 100_000 } } as never);
  const ep = await sandbox.start();
  app = new Redis(ep.queue!, { lazyConnect: true });
  await app.connect();
  worker = await startXmppClient({ service: ep.c2s, domain: ep.domain, username: 'worker', password: ep.password, resource: 'w1', timeoutMs: 10_000, clients, presence: xml('presence') });
});

after(async () => {
  for (const c of clients) await stopClient(c);
  app?.disconnect();
  await sandbox?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The first event of the sandbox's trace that `pred` accepts, waiting for it to be recorded. */
async function traced<E extends TraceEvent>(pred: (e: TraceEvent) => e is E, what: string): Promise<E> {
  const end = Date.now() + 10_000;
  for (;;) {
    const e = (await sandbox.control.call('trace.snapshot', {})).find(pred);
    if (e) return e;
    if (Date.now() > end) throw new Error(`not traced: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a stanza popped from the outbox arrives with the list it came from as its source', async () => {
  const cfg = sandbox.config.bridge;
  await app.lpush(cfg.inList, `<message to="${worker.jid}" id="from-queue"><body>job 1</body></message>`);
  const got = await worker.next((s) => s.is('message') && s.getChildText('body') === 'job 1');
  assert.equal(got.attrs.from, cfg.domain);
  const arrival = await traced((e): e is ArrivalEvent => e.type === 'arrival' && e.id === 'from-queue' && e.source.kind === 'component', 'the bridged stanza');
  assert.deepEqual({ kind: arrival.source.kind, jid: arrival.source.jid, queue: arrival.source.queue }, { kind: 'component', jid: cfg.domain, queue: cfg.inList });
});

test('the bridge answering disco#info itself is not a queue item', async () => {
  const cfg = sandbox.config.bridge;
  await worker.c.iqCaller.request(xml('iq', { type: 'get', to: cfg.domain, id: 'disco-bridge' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const answers = (await sandbox.control.call('trace.snapshot', {})).filter((e): e is ArrivalEvent => e.type === 'arrival' && e.id === 'disco-bridge' && e.stanzaType === 'result' && e.source.kind === 'component');
  assert.ok(answers.length > 0, 'the answer is traced');
  for (const a of answers) assert.equal(a.source.queue, undefined);
});

test('a refused item is traced as a dead letter, with its reason and the item', async () => {
  const cfg = sandbox.config.bridge;
  const bad = '<message><body>no address</body></message>';
  await app.lpush(cfg.inList, bad);
  const dead = await traced((e): e is QueueEvent => e.type === 'queue' && e.op === 'dead-letter', 'the dead letter');
  assert.equal(dead.key, cfg.inList);
  assert.equal(dead.dest, cfg.deadLetterList);
  assert.equal(dead.item, bad);
  const stored = JSON.parse((await app.lindex(cfg.deadLetterList, 0))!) as { reason: string };
  assert.equal(dead.reason, stored.reason, 'the same reason as the dead letter itself');
  assert.match(dead.reason!, /"to"/);
  assert.equal(dead.length, await app.llen(cfg.deadLetterList));
});
