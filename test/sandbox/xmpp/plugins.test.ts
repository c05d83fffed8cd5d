// Plugins: a user plugin that blocks in preprocess (and the trace that shows it), a plugin
// that throws, a filter that drops, and reloading user plugins from a folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Plugin } from '../../../sandbox/xmpp/server';
import type { TraceEvent } from '../../../sandbox/trace/events';
import { connect, isMessage, startServer, sync, xml, type TestServer } from './core/server-harness';

let t: TestServer;
let pluginDir: string;
before(async () => {
  pluginDir = await mkdtemp(path.join(tmpdir(), 'xmpp-plugins-'));
  t = await startServer({ xmpp: { pluginDir } });
});
after(async () => {
  await t.stop();
  await rm(pluginDir, { recursive: true, force: true });
});

const ofPacket = (ev: TraceEvent[], id: string) => ev.filter((e) => e.packetId === id);

test('a preprocess plugin blocks a stanza; the trace shows the blocked verdict, its reason and outcome blocked', async () => {
  const noSpam: Plugin = {
    id: 'no-spam',
    preProcess: (p) => (p.kind === 'message' && /spam/.test(p.element.getChildText('body') ?? '') ? { block: true, reason: 'looks like spam' } : false),
  };
  const remove = t.server.addPlugin(noSpam);
  assert.ok(t.server.listPlugins().some((p) => p.id === 'no-spam' && p.origin === 'api' && p.stages.join() === 'preprocess'));
  const a = await connect(t, 'alice', 'a');
  const b = await connect(t, 'bob', 'b');
  const since = t.trace.lastSeq;
  await a.c.send(xml('message', { to: 'bob@localhost/b', id: 'spam1' }, xml('body', {}, 'buy spam now')));
  await a.c.send(xml('message', { to: 'bob@localhost/b', id: 'ham1' }, xml('body', {}, 'hello')));
  await b.next(isMessage('hello'));
  assert.deepEqual(b.bodies(), [], 'the spam never arrived');
  const ev = t.trace.snapshot(since);
  const arrival = ev.find((e) => e.type === 'arrival' && e.id === 'spam1')!;
  const mine = ofPacket(ev, arrival.packetId!);
  const pe = mine.find((e) => e.type === 'plugin' && e.plugin === 'no-spam');
  assert.ok(pe && pe.type === 'plugin');
  assert.equal(pe.verdict, 'blocked');
  assert.equal(pe.reason, 'looks like spam');
  const out = mine.find((e) => e.type === 'outcome');
  assert.ok(out && out.type === 'outcome');
  assert.equal(out.outcome, 'blocked');
  assert.equal(out.plugin, 'no-spam');
  assert.equal(out.reason, 'looks like spam');
  assert.ok(!mine.some((e) => e.type === 'stage' && e.stage === 'process'), 'no process stage after a block');
  // Unregistered: hooks are gone.
  remove();
  await a.c.send(xml('message', { to: 'bob@localhost/b' }, xml('body', {}, 'spam again')));
  await b.next(isMessage('spam again'));
});

test('a plugin that throws is traced as error; an iq gets internal-server-error; messages still flow', async () => {
  const remove = t.server.addPlugin({
    id: 'broken',
    handles: [{ path: ['iq', 'query'], xmlns: 'urn:x:broken' }, { path: ['message'] }],
    process() {
      throw new Error('boom');
    },
  });
  try {
    const a = await connect(t, 'carol', 'a');
    const since = t.trace.lastSeq;
    await assert.rejects(
      a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'urn:x:broken' }))),
      (e: Error & { condition?: string }) => e.condition === 'internal-server-error',
    );
    const ev = t.trace.snapshot(since);
    assert.ok(ev.some((e) => e.type === 'plugin' && e.plugin === 'broken' && e.verdict === 'error' && e.error === 'boom'));
    assert.ok(t.logs.some((l) => /plugin broken threw in process/.test(l)));
  } finally {
    remove();
  }
});

test('a filter drops result packets (verdict dropped)', async () => {
  const remove = t.server.addPlugin({
    id: 'no-secrets-out',
    filter(p, _ctx, results) {
      const before = results.length;
      for (let i = results.length - 1; i >= 0; i--) if (results[i]!.element.getChildText('body') === 'secret') results.splice(i, 1);
      return results.length < before ? 'secret body' : undefined;
    },
  });
  try {
    const a = await connect(t, 'dan', 'a');
    const b = await connect(t, 'erin', 'b');
    const since = t.trace.lastSeq;
    await a.c.send(xml('message', { to: 'erin@localhost/b', id: 'sec' }, xml('body', {}, 'secret')));
    await a.c.send(xml('message', { to: 'erin@localhost/b' }, xml('body', {}, 'public')));
    await b.next(isMessage('public'));
    assert.deepEqual(b.bodies(), []);
    const ev = t.trace.snapshot(since);
    assert.ok(ev.some((e) => e.type === 'plugin' && e.plugin === 'no-secrets-out' && e.verdict === 'dropped' && e.reason === 'secret body'));
    assert.ok(ev.some((e) => e.type === 'outcome' && e.outcome === 'dropped' && e.plugin === 'no-secrets-out'));
  } finally {
    remove();
  }
});

test('user plugins load from the folder and reload without a restart', async () => {
  const file = path.join(pluginDir, 'hello.mjs');
  const src = (v: string) => `
    export default {
      id: 'hello',
      handles: [{ path: ['iq', 'hello'], xmlns: 'urn:x:hello' }],
      types: ['get'],
      process(p, ctx) { ctx.result(ctx.xml('hello', { xmlns: 'urn:x:hello' }, '${v}')); },
      discoFeatures: () => ['urn:x:hello'],
    };`;
  await writeFile(file, src('v1'));
  await writeFile(path.join(pluginDir, 'counter.cjs'), `let n = 0; module.exports = { plugin: { id: 'counter', preProcess() { n++; return false; } } };`);
  await writeFile(path.join(pluginDir, 'broken.js'), `module.exports = { id: 42 };`);
  const r1 = await t.server.reloadPlugins();
  assert.deepEqual(r1.loaded.sort(), ['counter', 'hello'], JSON.stringify(r1.errors));
  assert.equal(r1.errors.length, 1);
  assert.match(r1.errors[0]!.file, /broken\.js$/);
  assert.match(r1.errors[0]!.error, /id/);
  const a = await connect(t, 'frank', 'a');
  const ask = async () => (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('hello', { xmlns: 'urn:x:hello' })))).getChildText('hello');
  assert.equal(await ask(), 'v1');
  const info = (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
  assert.ok(info.getChildren('feature').some((f) => f.attrs.var === 'urn:x:hello'));
  await writeFile(file, src('v2'));
  await unlink(path.join(pluginDir, 'broken.js'));
  const r2 = await t.server.reloadPlugins();
  assert.deepEqual(r2.errors, []);
  assert.equal(await ask(), 'v2');
  assert.equal(t.server.listPlugins().filter((p) => p.id === 'hello').length, 1, 'the old hooks were removed');
  await unlink(file);
  await t.server.reloadPlugins();
  await assert.rejects(ask(), (e: Error & { condition?: string }) => e.condition === 'service-unavailable');
  await sync(a);
});

test('built-in plugins are listed with their stages and queues', () => {
  const list = t.server.listPlugins();
  const byId = new Map(list.map((p) => [p.id, p]));
  for (const id of ['presence', 'message', 'iq', 'offline', 'offline-flexible', 'ping', 'disco', 'version']) assert.ok(byId.has(id), id);
  assert.deepEqual(byId.get('offline')!.stages, ['process', 'postprocess']);
  assert.equal(byId.get('ping')!.queueCapacity, t.config.xmpp.processorQueueSize);
  assert.equal(byId.get('ping')!.origin, 'builtin');
});
