// The worker against a real server: its own sandbox (xmpp-sandbox's startSandbox), or the one
// XMPP_SERVICE names (test/server.ts). Real connections, real timers.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Element } from '@xmpp/client';
import { Worker } from '../src/worker.js';
import { bodies, startTester, testServer, type Tester, type TestServer } from './server.js';

let server: TestServer;
let tester: Tester;
let bare: string;

before(async () => {
  server = await testServer();
  tester = await startTester(server);
  bare = `${server.worker.username}@${server.worker.domain}`;
});
after(async () => {
  await tester?.stop();
  await server?.stop();
});

const silent = () => {};
async function workers(n: number, tag: string, log: (l: string) => void = silent): Promise<Worker[]> {
  const ws = Array.from({ length: n }, (_, i) => new Worker({ ...server.worker, resource: `${tag}-${i + 1}`, maxJobMs: 5_000 }, log));
  await Promise.all(ws.map((w) => w.start()));
  return ws;
}
const stopAll = (ws: Worker[]) => Promise.all(ws.map((w) => w.stop()));
const withBody = (text: string) => (m: Element) => m.getChildText('body') === text;
const count = (text: string) => tester.received.filter(withBody(text)).length;

test('a job is scheduled at once and done after its duration; type and thread are kept; other bodies are unknown commands', async () => {
  const [w] = await workers(1, 'one');
  try {
    const sent = Date.now();
    await tester.send(bare, 'job first 400', { type: 'chat', thread: 'th-1' });
    await tester.until((r) => r.some(withBody('Scheduled job first')), 5_000, 'Scheduled job first');
    const scheduledAfter = Date.now() - sent;
    await tester.until((r) => r.some(withBody('Done job first')), 5_000, 'Done job first');
    const doneAfter = Date.now() - sent;
    assert.ok(scheduledAfter < 350, `answered at once, not after the job (${scheduledAfter} ms)`);
    assert.ok(doneAfter >= 390, `done after about 400 ms (${doneAfter} ms)`);
    for (const text of ['Scheduled job first', 'Done job first']) {
      const m = tester.received.find(withBody(text))!;
      assert.equal(m.attrs.type, 'chat', `${text}: same type`);
      assert.equal(m.getChildText('thread'), 'th-1', `${text}: thread kept`);
      assert.equal(m.attrs.from, w!.jid, `${text}: from the instance that runs it`);
    }

    await tester.send(bare, 'hello there');
    await tester.until((r) => r.some(withBody('Unknown command: hello there')), 5_000, 'Unknown command');
    await tester.send(bare, 'job huge 999999', { type: 'chat' });
    await tester.until((r) => r.some((m) => /^Failed job huge: /.test(m.getChildText('body') ?? '')), 5_000, 'Failed job huge');
  } finally {
    await stopAll([w!]);
  }
});

test('three instances on one bare JID: every job scheduled and done exactly once, spread over the instances', async () => {
  const ws = await workers(3, 'share');
  try {
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const name of names) {
      await tester.send(bare, `job ${name} 150`, { type: 'chat' });
      await new Promise((r) => setTimeout(r, 30));
    }
    await tester.until(() => names.every((n) => count(`Done job ${n}`) >= 1), 15_000, 'every job done');
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
    for (const n of names) {
      assert.equal(count(`Scheduled job ${n}`), 1, `${n} scheduled once`);
      assert.equal(count(`Done job ${n}`), 1, `${n} done once`);
    }
    const busy = ws.filter((w) => w.stats.done > 0).length;
    assert.ok(busy >= 2, `work spread over the instances: ${ws.map((w) => w.stats.done).join(', ')}`);
    assert.equal(ws.reduce((a, w) => a + w.stats.done, 0), names.length);
  } finally {
    await stopAll(ws);
  }
});

test('jobs sent while no instance is online wait in offline storage and are each done once when instances return', async () => {
  const names = ['o1', 'o2', 'o3'];
  for (const n of names) await tester.send(bare, `job ${n} 50`, { type: 'chat' });
  await new Promise((r) => setTimeout(r, 300)); // stored offline (XEP-0160)
  const ws = await workers(2, 'back');
  try {
    await tester.until(() => names.every((n) => count(`Done job ${n}`) >= 1), 15_000, 'the stored jobs done');
    await new Promise((r) => setTimeout(r, 500));
    for (const n of names) assert.equal(count(`Done job ${n}`), 1, `${n} done once`);
  } finally {
    await stopAll(ws);
  }
});

test('stop() (SIGTERM) finishes the running job before the instance leaves', async () => {
  const [w] = await workers(1, 'term');
  await tester.send(bare, 'job last 500', { type: 'chat' });
  await tester.until((r) => r.some(withBody('Scheduled job last')), 5_000, 'Scheduled job last');
  const doneWhenStopped = w!.stop().then(() => w!.stats.done);
  await tester.until((r) => r.some(withBody('Done job last')), 5_000, 'Done job last');
  assert.equal(await doneWhenStopped, 1, 'the job was finished before the instance left');
  assert.equal(count('Done job last'), 1);
  assert.deepEqual(bodies(tester.received.filter((m) => m.attrs.from === w!.jid)).slice(-2), ['Scheduled job last', 'Done job last']);
});
