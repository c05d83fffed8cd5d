// The daemon with real processes against a real server: its own sandbox (xmpp-sandbox's
// startSandbox: XMPP and the Redis-compatible queue), or the servers XMPP_SERVICE and
// REDIS_URL name (TEST_XMPP_USERNAME/TEST_XMPP_PASSWORD: the account that receives).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, xml, type Client, type Element } from '@xmpp/client';
import { Redis } from 'ioredis';
import { startSandbox, type RunningSandbox } from 'xmpp-sandbox';
import { configFromEnv, type DaemonConfig } from '../src/config.js';
import { Supervisor } from '../src/supervisor.js';

const env = process.env;
let sandbox: RunningSandbox | null = null;
let base: DaemonConfig;
let redis: Redis;
let receiver: Client;
let receiverJid: string;
const received: Element[] = [];
const run = `test-${process.pid}-${Date.now()}`;

before(async () => {
  const fromEnv = configFromEnv(env);
  if (env.XMPP_SERVICE) {
    base = fromEnv;
  } else {
    sandbox = await startSandbox({ domain: fromEnv.domain });
    const e = sandbox.endpoints;
    base = { ...fromEnv, service: e.c2s, domain: e.domain, password: e.password, redisUrl: e.queue! };
  }
  base = { ...base, jobList: `${fromEnv.jobList}:${run}`, deadLetters: `${fromEnv.jobList}:${run}:dead` };
  redis = new Redis(base.redisUrl);
  receiver = client({ service: base.service, domain: base.domain, username: env.TEST_XMPP_USERNAME || 'receiver', password: env.TEST_XMPP_PASSWORD || base.password, resource: 'r' });
  receiver.on('error', () => {});
  receiver.on('stanza', (s: Element) => s.name === 'message' && received.push(s));
  receiverJid = (await receiver.start()).toString();
});
after(async () => {
  receiver?.reconnect.stop();
  await receiver?.stop().catch(() => undefined);
  const keys = await redis.keys(`${base.jobList}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await sandbox?.stop();
});

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${received.map((m) => m.getChildText('body')).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const bodies = (text: string) => received.filter((m) => m.getChildText('body') === text);
const push = (id: string, text: string, workMs = 0) => redis.lpush(base.jobList, JSON.stringify({ id, type: 'notify', to: receiverJid, text, workMs }));

test('jobs from the list are run by the workers and all output leaves through one XMPP connection; bad jobs become dead letters', async () => {
  const sup = new Supervisor({ ...base, workers: 2 }, () => {});
  await sup.start();
  try {
    assert.equal(sup.workers.length, 2);
    for (let i = 0; i < 6; i++) await push(`a${i}`, `hello ${i}`, 50);
    await redis.lpush(base.jobList, 'not json', JSON.stringify({ id: 'x', type: 'nope' }));
    await until(() => [0, 1, 2, 3, 4, 5].every((i) => bodies(`hello ${i}`).length === 1), 'six notifications');
    const senders = new Set(received.map((m) => m.attrs.from));
    assert.deepEqual([...senders], [`${base.username}@${base.domain}/${base.resource}`], 'one resource for every worker');
    const deadline = Date.now() + 5000;
    while ((await redis.llen(base.deadLetters)) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const reasons = (await redis.lrange(base.deadLetters, 0, -1)).map((d) => (JSON.parse(d) as { reason: string }).reason);
    assert.equal(reasons.length, 2, reasons.join(' | '));
    assert.ok(reasons.some((r) => /^not JSON/.test(r)) && reasons.some((r) => /^no handler for type 'nope'/.test(r)), reasons.join(' | '));
  } finally {
    await sup.stop();
  }
});

test('a worker killed mid-job is respawned in its slot and the job is run again, not lost', async () => {
  const sup = new Supervisor({ ...base, workers: 2 }, () => {});
  await sup.start();
  try {
    const started = new Promise<{ slot: number; pid: number }>((r) => sup.on('job', (slot, pid, id, state) => id === 'slow' && state === 'started' && r({ slot, pid })));
    await push('slow', 'slow job done', 1500);
    const victim = await started;
    process.kill(victim.pid, 'SIGKILL');
    const respawned = new Promise<number>((r) => sup.on('spawn', (slot, pid) => slot === victim.slot && r(pid)));
    const newPid = await respawned;
    assert.notEqual(newPid, victim.pid);
    await until(() => bodies('slow job done').length === 1, 'the job, run again', 20_000);
    assert.ok(sup.workers.some((w) => w.slot === victim.slot && w.pid === newPid), `slot ${victim.slot} is served by the new process`);
    assert.equal(await redis.llen(`${base.jobList}:processing:${victim.slot}`), 0, 'nothing left in processing');
  } finally {
    await sup.stop();
  }
});

test('a worker past the soft memory limit finishes its job and is replaced gracefully', async () => {
  const sup = new Supervisor({ ...base, workers: 1, softMemoryMb: 1 }, () => {}); // every process is past 1 MB
  const exits: string[] = [];
  sup.on('exit', (_slot, _pid, code, _signal, reason) => exits.push(`${reason} ${code}`));
  await sup.start();
  try {
    await push('m1', 'memory 1', 300);
    await push('m2', 'memory 2', 300);
    await until(() => bodies('memory 1').length === 1 && bodies('memory 2').length === 1, 'both jobs');
    await until(() => exits.includes('memory 0'), 'a graceful restart');
  } finally {
    await sup.stop();
  }
  assert.ok(!exits.includes('crash 1'), exits.join(', '));
});
