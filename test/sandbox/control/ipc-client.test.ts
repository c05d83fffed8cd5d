// The extension drives the sandbox in a child process over IPC, through IpcControlClient; this
// runs that client in plain Node against sandbox/cli.ts --ipc (from source, under tsx): start,
// calls, events, a port in use, a stop during the start, a timeout, a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as net from 'node:net';
import { client, xml } from '@xmpp/client';
import { build } from 'esbuild';
import { ControlError, PortInUseError, StartError, type ConfigOverrides, type ControlEvent } from '../../../sandbox/control/api';
import { IpcControlClient, type IpcClientOptions, type TraceBatch } from '../../../sandbox/control/ipc-client';

const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'sandbox/cli.ts');
const fromSource: IpcClientOptions = { execArgv: ['--import', 'tsx'] };

async function dataDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-ipc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function freeOverrides(dir: string): ConfigOverrides {
  return { dataDir: dir, xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0 }, queue: { port: 0 } };
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(pred(), what);
}

test('the client loads nothing but Node builtins, the control API and the trace contract (the extension host imports it)', async () => {
  const r = await build({ entryPoints: [join(ROOT, 'sandbox/control/ipc-client.ts')], bundle: true, write: false, metafile: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs).map((f) => relative(ROOT, join(process.cwd(), f)).replace(/\\/g, '/'));
  // The trace batches arrive compact (trace/wire.ts) and are decoded here, by the column table.
  assert.deepEqual(inputs.sort(), ['sandbox/control/api.ts', 'sandbox/control/ipc-client.ts', 'sandbox/trace/columns.ts', 'sandbox/trace/events.ts', 'sandbox/trace/wire.ts', 'sandbox/xmpp/vocabulary.ts']);
});

test('a sandbox child process is driven over IPC: status, events, trace batches, inject, stop', async (t) => {
  const ctl = await IpcControlClient.start(CLI, freeOverrides(await dataDir(t)), fromSource);
  t.after(() => ctl.stop());

  const status = await ctl.call('status', {});
  assert.equal(status.state, 'running');
  assert.match(status.endpoints!.c2s, /^xmpp:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(status.pid, process.pid, 'runs in another process');
  assert.equal(status.pid, ctl.pid);

  // Trace batches go to listeners that asked for them; the others and the taps see the rest.
  const withTrace: ControlEvent[] = [];
  const withoutTrace: ControlEvent[] = [];
  const tapped: TraceBatch[] = [];
  const offPlain = ctl.onEvent((e) => withoutTrace.push(e));
  const offTap = ctl.onTraceBatch((b) => tapped.push(b));
  const offTrace = ctl.onEvent((e) => withTrace.push(e), { trace: true });
  const summaries: ControlEvent[] = [];
  const offSummary = ctl.onEvent((e) => summaries.push(e), { trace: 'summary' });

  const xmpp = client({ service: status.endpoints!.c2s, domain: 'localhost', username: 'ipcuser', password: 'sandbox', resource: 'r1' });
  await xmpp.start();
  t.after(() => xmpp.stop().catch(() => undefined));
  await xmpp.send(xml('presence'));
  await waitFor(() => withoutTrace.some((e) => e.type === 'sessions-changed' && e.sessions.some((s) => s.bareJid === 'ipcuser@localhost')), 'sessions-changed event names the new session');

  const sessions = await ctl.call('sessions.list', {});
  assert.equal(sessions.find((s) => s.bareJid === 'ipcuser@localhost')?.resources[0]?.fullJid, 'ipcuser@localhost/r1');

  // Inject a message as the server to the client; it arrives, and its trace reaches us.
  const got = new Promise<string>((resolve) => xmpp.on('stanza', (s) => s.is('message') && resolve(s.getChildText('body') ?? '')));
  const { packetId } = await ctl.call('stanza.inject', { as: 'localhost', xml: "<message to='ipcuser@localhost/r1'><body>over ipc</body></message>" });
  assert.equal(await got, 'over ipc');
  const carries = (e: ControlEvent) => e.type === 'trace' && e.events.some((ev) => ev.packetId === packetId && ev.type === 'arrival');
  await waitFor(() => withTrace.some(carries), 'trace batch carries the injected packet');
  await waitFor(() => tapped.some(carries), 'the tap sees the batches that flow');
  assert.ok(!withoutTrace.some((e) => e.type === 'trace'), 'no trace batch for a listener that did not ask');
  // Beside a full listener, a summary listener gets the same batches without the stage events.
  await waitFor(() => summaries.some(carries), 'the summary listener sees the packet');
  const ofPacket = (events: ControlEvent[]) => events.flatMap((e) => (e.type === 'trace' ? e.events.filter((ev) => ev.packetId === packetId) : []));
  await waitFor(() => ofPacket(withTrace).some((e) => e.type === 'outcome') && ofPacket(summaries).some((e) => e.type === 'outcome'), 'both saw the outcome');
  assert.deepEqual(ofPacket(summaries), ofPacket(withTrace).filter((e) => e.type !== 'stage'));
  assert.ok(ofPacket(withTrace).some((e) => e.type === 'stage'));
  // The stage timeline on request: the ring's every event of the packet (the batches crossed compact, trace/wire.ts).
  assert.deepEqual(await ctl.call('trace.packets', { packetIds: [packetId] }), ofPacket(withTrace));
  await assert.rejects(ctl.call('trace.packets', { packetIds: 'p1' as never }), (e: unknown) => e instanceof ControlError && e.code === 'bad-params' && /'packetIds' must be an array of strings/.test(e.message));
  await assert.rejects(ctl.call('trace.packets', { packetIds: Array.from({ length: 20_001 }, (_, i) => `p${i}`) }), (e: unknown) => e instanceof ControlError && /at most 20000/.test(e.message));
  offSummary();

  await assert.rejects(ctl.call('stanza.inject', { as: 'localhost', xml: '<message><body>unclosed' }), (e: unknown) => e instanceof ControlError && e.code === 'xml-invalid');
  await assert.rejects(ctl.call('no.such.method' as 'status', {}), (e: unknown) => e instanceof ControlError && e.code === 'unknown-method');

  // Once no listener wants trace, the child stops sending it: the tap sees no batch for a new packet.
  offTrace();
  await ctl.call('status', {}); // the new subscription went before this call, on the same channel
  const later = await ctl.call('stanza.inject', { as: 'localhost', xml: "<message to='ipcuser@localhost/r1'><body>untraced</body></message>" });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!tapped.some((b) => b.events.some((ev) => ev.packetId === later.packetId)), 'no trace batches once nobody asks');
  assert.ok((await ctl.call('trace.snapshot', {})).some((ev) => ev.packetId === later.packetId), 'the sandbox still traced it');
  offPlain();
  offTap();

  await xmpp.stop();
  const exit = await ctl.stop();
  assert.deepEqual({ code: exit.code, requested: exit.requested, wasReady: exit.wasReady }, { code: 0, requested: true, wasReady: true });
  assert.equal(ctl.running, false);
  await assert.rejects(ctl.call('status', {}), (e: unknown) => e instanceof ControlError && e.code === 'not-running');
});

test('a Stop while starting ends the child: the start rejects with ESTOPPED', async (t) => {
  const ctl = IpcControlClient.spawn(CLI, freeOverrides(await dataDir(t)), fromSource);
  const pid = ctl.pid!;
  assert.ok(pid > 0);
  const exit = await ctl.stop();
  await assert.rejects(ctl.ready, (e: unknown) => e instanceof StartError && e.code === 'ESTOPPED');
  assert.equal(exit.requested, true);
  assert.equal(exit.wasReady, false);
  assert.ok(!pidAlive(pid), 'the child is gone');
});

test('a child not ready in time is killed; the start rejects with ETIMEDOUT', async (t) => {
  const ctl = IpcControlClient.spawn(CLI, freeOverrides(await dataDir(t)), { ...fromSource, startTimeoutMs: 50 });
  await assert.rejects(ctl.ready, (e: unknown) => e instanceof StartError && e.code === 'ETIMEDOUT' && /within 0\.05 s/.test(e.message));
  const exit = await ctl.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.requested, false);
});

test('a crash: pending calls are rejected, the exit says it was not asked for, with the last lines', async (t) => {
  const ctl = await IpcControlClient.start(CLI, freeOverrides(await dataDir(t)), fromSource);
  t.after(() => ctl.stop());
  const lines: string[] = [];
  ctl.onLine((line, stream) => lines.push(`${stream}: ${line}`));
  assert.ok(ctl.lastLines().some((l) => /sandbox running/.test(l)), `the child's log lines are kept (got ${ctl.lastLines().join(' | ')})`);
  const pid = ctl.pid!;
  // Frozen, the child cannot answer: the call is still pending when it dies.
  process.kill(pid, 'SIGSTOP');
  const pending = ctl.call('status', {});
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ctl.pendingCalls, 1);
  process.kill(pid, 'SIGKILL');
  await assert.rejects(pending, (e: unknown) => e instanceof ControlError && e.code === 'not-running');
  const exit = await ctl.exited;
  assert.deepEqual({ signal: exit.signal, requested: exit.requested, wasReady: exit.wasReady }, { signal: 'SIGKILL', requested: false, wasReady: true });
  assert.ok(exit.lastLines.some((l) => /sandbox running/.test(l)));
  assert.equal(ctl.pendingCalls, 0);
  assert.equal(ctl.status, null);
});

test('a fatal start error carries its class and fields from the child, and the last lines', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const dir = await dataDir(t);
  const err = await IpcControlClient.start(CLI, { ...freeOverrides(dir), queue: { port } }, fromSource).then(
    () => assert.fail('started on a port in use'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PortInUseError, `a PortInUseError, got ${String(err)}`);
  assert.deepEqual({ code: err.code, port: err.port, setting: err.setting }, { code: 'EADDRINUSE', port, setting: 'queue.port' });
  assert.match(err.message, new RegExp(`port ${port} in use on 127\\.0\\.0\\.1 \\(config queue\\.port\\)`));
  assert.match(err.lastLines.at(-1) ?? '', new RegExp(`^\\S+ error port ${port} in use`), 'the last line the child wrote: the error, in its log format');
});
