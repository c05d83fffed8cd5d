// Every template, as a user gets it (issue 9, "Done when"): `npm pack` of this repository
// (its prepack builds dist/sandbox.js, dist/lib.js and the declarations), then for each
// template `xmpp-sandbox new` through the built CLI into a temporary folder, `npm install`
// (the tarball plus the template's dependencies from the registry), and the generated
// project's own `npm test`, which builds it and starts a sandbox of its own (this test starts
// no server for it) and runs its scenario (scenarios/*.scs) with `xmpp-sandbox test`. Then
// the worker's load-balancing flow with real processes: three instances of the generated
// worker sharing one bare JID against a sandbox with the DEFAULT tie-break ('all': a bare-JID
// message goes to every top-priority resource, docs/interop.md §3.2), 30 jobs: each
// acknowledged and done exactly once, spread over the instances. And the same generated
// projects' tests against Prosody and redis-server, only the environment changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { startSandbox, type RunningSandbox } from '../../../sandbox/testing';
import { startXmppClient, stopClient, type XmppTestClient } from '../../helpers/xmpp-client';
import { prosodyAvailable, startProsody } from '../bridge/prosody';
import { startRedis } from '../queue/helpers';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist', 'sandbox.js');

let work: string;
let tarball: string;

interface Run {
  code: number | null;
  out: string;
  ms: number;
}

/** Runs a command to its end; never throws (the caller asserts on code and shows out). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, ms: Date.now() - started });
    });
  });
}

/** The environment without what would point a generated project at another server or change npm's behaviour. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('XMPP_') || k === 'REDIS_URL' || k === 'NODE_OPTIONS' || k === 'INIT_CWD' || k === 'NODE_TEST_CONTEXT') delete env[k];
  return env;
}

const tail = (s: string, n = 4000) => (s.length > n ? '…' + s.slice(-n) : s);

const TEMPLATES = { worker: ['--jid', 'worker@localhost'], bridge: [], plugin: [], daemon: [] } as const;
type Id = keyof typeof TEMPLATES;
/** Each template's generated project, installed: the folder, or the error that stopped it. */
const projects = new Map<Id, string | Error>();

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'sbx-templates-'));
  // One tarball per run; prepack builds what it ships (dist/sandbox.js, dist/lib.js, types).
  const pack = await run('npm', ['pack', '--pack-destination', work], ROOT);
  assert.equal(pack.code, 0, `npm pack failed:\n${tail(pack.out)}`);
  const tgz = (await readdir(work)).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote a tarball');
  tarball = join(work, tgz);
  // Generate every project through the built CLI, then install them side by side (npm spends
  // its time waiting on the registry and the disk; the shared cache serves repeats).
  const installs = Object.entries(TEMPLATES).map(async ([id, extra]) => {
    const dir = join(work, `${id}-app`);
    const gen = await run(process.execPath, [CLI, 'new', id, dir, '--yes', '--sandbox-package', `file:${tarball}`, ...extra], work);
    if (gen.code !== 0 || !gen.out.includes(`Created ${id} project`)) return projects.set(id as Id, new Error(`xmpp-sandbox new ${id}:\n${gen.out}`));
    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir);
    if (install.code !== 0) return projects.set(id as Id, new Error(`npm install in the ${id} project:\n${tail(install.out)}`));
    projects.set(id as Id, dir);
    return install.ms;
  });
  const ms = await Promise.all(installs);
  console.log(`npm pack: ${pack.ms} ms; generated and installed ${Object.keys(TEMPLATES).join(', ')} in parallel: ${ms.map((m) => (typeof m === 'number' ? `${m} ms` : 'failed')).join(', ')}`);
});
after(() => rm(work, { recursive: true, force: true }));

function project(id: Id): string {
  const p = projects.get(id);
  if (p instanceof Error) throw p;
  assert.ok(p, `the ${id} project was generated`);
  return p;
}

/** The generated project's own `npm test`: it builds the project and starts its own sandbox. */
async function ownTests(id: Id, env: Record<string, string> = {}): Promise<void> {
  const t = await run('npm', ['test'], project(id), env);
  assert.equal(t.code, 0, `npm test of the ${id} project:\n${tail(t.out, 8000)}`);
  const pass = Number(/^# pass (\d+)$/m.exec(t.out)?.[1] ?? 0);
  // Its scenario (scenarios/*.scs) ran through the packed CLI, against the server its tests use.
  assert.match(t.out, /^# Subtest: scenarios\/\S+\.scs passes against /m, `${id}: its scenario test ran:\n${tail(t.out)}`);
  const fail = Number(/^# fail (\d+)$/m.exec(t.out)?.[1] ?? -1);
  assert.ok(pass >= 3 && fail === 0, `${id}: its tests ran and passed (pass ${pass}, fail ${fail}):\n${tail(t.out)}`);
  console.log(`${id}${env.XMPP_SERVICE ? ' against Prosody + redis-server' : ''}: npm test ${t.ms} ms (${pass} passed)`);
}

for (const id of Object.keys(TEMPLATES) as Id[]) {
  test(`${id} template: generated by the CLI, installed with the packed tarball, its own npm test passes with no server started here`, () => ownTests(id));
}

const peers = prosodyAvailable() && spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined;

test('the generated worker, bridge and daemon pass their tests against Prosody and redis-server, with only environment variables changed', { skip: !peers && 'prosody (as root) or redis-server not installed' }, async (t) => {
  // Prosody 0.12 (Debian): a bare-JID message goes to every resource sharing the top priority,
  // no XEP-0013 (the worker falls back to the flood on initial presence), XEP-0114 on.
  const prosody = await startProsody({ components: { 'component.localhost': 'secret' }, accounts: { worker: 'sandbox', tester: 'sandbox', daemon: 'sandbox' } });
  t.after(() => prosody.stop());
  const redis = await startRedis();
  t.after(() => redis.stop());
  const env = {
    XMPP_SERVICE: `xmpp://127.0.0.1:${prosody.c2sPort}`,
    XMPP_DOMAIN: prosody.domain,
    XMPP_USERNAME: 'worker',
    XMPP_PASSWORD: 'sandbox',
    TEST_XMPP_USERNAME: 'tester',
    TEST_XMPP_PASSWORD: 'sandbox',
    XMPP_COMPONENT_SERVICE: `xmpp://127.0.0.1:${prosody.componentPort}`,
    COMPONENT_DOMAIN: 'component.localhost',
    COMPONENT_SECRET: 'secret',
    REDIS_URL: `redis://127.0.0.1:${redis.port}`,
  };
  // Side by side, as they would share a deployment: each project has its own account or
  // component and its own lists. The daemon logs in as its own account, the one its scenario
  // (scenarios/daemon.scs) expects output from.
  const results = await Promise.allSettled([ownTests('worker', env), ownTests('bridge', env), ownTests('daemon', { ...env, XMPP_USERNAME: 'daemon' })]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

interface WorkerProcess {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function startWorkerProcess(dir: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: dir, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function until(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('worker load balancing with real processes: 3 instances on one bare JID, default tie-break, 30 jobs each done exactly once', async (t) => {
  const workerDir = project('worker'); // built by its npm test above
  const sandbox: RunningSandbox = await startSandbox(); // tie-break: the default, 'all'
  t.after(() => sandbox.stop());
  const e = sandbox.endpoints;
  const clients: XmppTestClient['c'][] = [];
  t.after(() => Promise.all(clients.map((c) => stopClient(c))));
  const connect = (username: string, resource: string, priority?: number) =>
    startXmppClient({ service: e.c2s, domain: e.domain, username, password: e.password, resource, timeoutMs: 5_000, clients, presence: priority === undefined ? undefined : xml('presence', {}, xml('priority', {}, String(priority))) });

  // The precondition that makes this test mean something: with equal priorities this sandbox
  // delivers a bare-JID message to every resource (RFC 6121 §8.5.2.1.1), so any exactly-once
  // below is the workers' doing.
  const a = await connect('tie', 'a', 5);
  const b = await connect('tie', 'b', 5);
  const tester = await connect('tester', 'load');
  await new Promise((r) => setTimeout(r, 100));
  await tester.c.send(xml('message', { to: 'tie@localhost', type: 'chat' }, xml('body', {}, 'to both')));
  await Promise.all([a, b].map((c) => c.next((s) => s.getChildText('body') === 'to both')));

  const workers = [1, 2, 3].map((i) =>
    startWorkerProcess(workerDir, { XMPP_SERVICE: e.c2s, XMPP_DOMAIN: e.domain, XMPP_USERNAME: 'worker', XMPP_PASSWORD: e.password, XMPP_RESOURCE: `w${i}`, WORKER_SETTLE_MS: '100' }),
  );
  t.after(() => workers.forEach((w) => w.child.exitCode === null && w.child.kill('SIGKILL')));
  await until(() => workers.every((w) => /^ready /m.test(w.out())), 20_000, () => workers.map((w) => w.out()).join('\n---\n'));
  const slots = workers.map((w) => /slot=(\d+)/.exec(w.out())![1]);
  assert.equal(new Set(slots).size, 3, `three distinct slots: ${slots.join(', ')}`);

  const started = Date.now();
  const names = Array.from({ length: 30 }, (_, i) => `j${i}`);
  for (const n of names) {
    await tester.c.send(xml('message', { to: 'worker@localhost', type: 'chat' }, xml('body', {}, `job ${n} 120`), xml('thread', {}, `t-${n}`)));
    await new Promise((r) => setTimeout(r, 25));
  }
  const msgs = () => tester.inbox.filter((s: Element) => s.name === 'message');
  const countOf = (body: string) => msgs().filter((m) => m.getChildText('body') === body).length;
  await until(() => names.every((n) => countOf(`Done job ${n}`) >= 1), 30_000, () => `done: ${names.filter((n) => countOf(`Done job ${n}`) > 0).length}/30`);
  const elapsed = Date.now() - started;
  await new Promise((r) => setTimeout(r, 600)); // room for a duplicate to show up
  const byWorker = new Map<string, number>();
  for (const n of names) {
    assert.equal(countOf(`Scheduled job ${n}`), 1, `${n} acknowledged exactly once`);
    assert.equal(countOf(`Done job ${n}`), 1, `${n} done exactly once`);
    const done = msgs().find((m) => m.getChildText('body') === `Done job ${n}`)!;
    assert.equal(done.getChildText('thread'), `t-${n}`, 'thread kept');
    assert.equal(done.attrs.type, 'chat', 'type kept');
    const from = done.attrs.from!;
    byWorker.set(from, (byWorker.get(from) ?? 0) + 1);
  }
  assert.ok(byWorker.size > 1, `spread over more than one worker: ${JSON.stringify(Object.fromEntries(byWorker))}`);
  console.log(`30 jobs of 120 ms over 3 workers in ${elapsed} ms: ${JSON.stringify(Object.fromEntries(byWorker))}`);

  // SIGTERM while a job runs: it is finished and answered, then every process exits 0.
  await tester.c.send(xml('message', { to: 'worker@localhost', type: 'chat' }, xml('body', {}, 'job final 500')));
  await until(() => countOf('Scheduled job final') === 1, 5_000, () => 'Scheduled job final');
  for (const w of workers) w.child.kill('SIGTERM');
  const codes = await Promise.all(workers.map((w) => w.exited));
  assert.deepEqual(codes, [0, 0, 0], workers.map((w) => w.out()).join('\n---\n'));
  await until(() => countOf('Done job final') === 1, 2_000, () => 'Done job final after SIGTERM');
});
