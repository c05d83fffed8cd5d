// kill -9 of the sandbox (issue 12; docs/interop.md §5.6, redis.io "Redis persistence"): the
// CLI (`xmpp-sandbox serve`, run from source with tsx) in a child process, a stream of
// LPUSHes whose replies are timed one by one as they arrive, SIGKILL in the middle of it, then
// a restart on the same data directory.
// - appendfsync always: the tick's commands are on disk before any of their replies leaves,
//   so no acknowledged item is lost.
// - appendfsync everysec: only items acknowledged in the last second before the kill may be
//   lost (the log is written within a few ms and fsync'ed once a second).
// In both, what survives is a prefix of what was pushed: the AOF never has holes.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { AppendFsync } from '../../sandbox/config';
import { RawClient, tmpDir, until } from '../sandbox/queue/helpers';

const ROOT = path.join(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'sandbox', 'cli.ts');

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** `xmpp-sandbox serve --json` with only the queue listening on a free port; its endpoints line gives the port. */
async function serve(dataDir: string, appendfsync: AppendFsync): Promise<Running> {
  const args = ['--import', 'tsx', CLI, 'serve', '--json', '--data-dir', dataDir, '--appendfsync', appendfsync, '--queue-port', '0', '--c2s-port', '0', '--ws-port', '-1', '--component-port', '-1', '--no-bridge', '--no-trace', '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await until(() => /"queue":"redis:\/\/[^"]+:\d+"/.test(out) || child.exitCode !== null, 60_000, 'the sandbox to print its endpoints');
  if (child.exitCode !== null) throw new Error(`sandbox exited ${child.exitCode}: ${out}`);
  const port = Number(/"queue":"redis:\/\/[^"]+:(\d+)"/.exec(out)![1]);
  return { child, port, output: () => out };
}

interface PushLog {
  /** ackAt[i]: when the reply to LPUSH of item-i arrived (performance.now()). */
  ackAt: number[];
  sent: number;
  /** A reply that was not an integer (the test fails on it). */
  bad?: string;
}

/**
 * LPUSH item-0, item-1, … on a raw connection, 100 in flight, until the connection dies.
 * Each integer reply acknowledges the oldest outstanding push (replies come in order).
 */
function pushUntilDead(port: number, list: string): { log: PushLog; done: Promise<void> } {
  const log: PushLog = { ackAt: [], sent: 0 };
  const s = net.connect(port, '127.0.0.1');
  const cmd = (i: number) => {
    const v = `item-${i}`;
    return `*3\r\n$5\r\nLPUSH\r\n$${list.length}\r\n${list}\r\n$${v.length}\r\n${v}\r\n`;
  };
  const fill = () => {
    let batch = '';
    while (log.sent - log.ackAt.length < 100) batch += cmd(log.sent++);
    if (batch) s.write(batch);
  };
  let pending = '';
  s.on('connect', fill);
  s.on('data', (d: Buffer) => {
    const now = performance.now();
    pending += d.toString('latin1');
    let at: number;
    while ((at = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 2);
      // Anything but an integer reply is no acknowledgement: stop counting there.
      if (!/^:\d+$/.test(line)) {
        log.bad = line;
        s.destroy();
        return;
      }
      log.ackAt.push(now);
    }
    fill();
  });
  const done = new Promise<void>((r) => {
    s.on('close', () => r());
    s.on('error', () => {});
  });
  return { log, done };
}

async function killedUnderLoad(t: TestContext, appendfsync: AppendFsync, minAcked: number, minMs: number) {
  const dir = tmpDir('queue-kill9-');
  const first = await serve(dir, appendfsync);
  const t0 = performance.now();
  const { log, done } = pushUntilDead(first.port, 'durable');
  await until(() => log.ackAt.length >= minAcked && performance.now() - t0 >= minMs, 60_000, `${minAcked} acknowledged pushes`);
  const killAt = performance.now();
  first.child.kill('SIGKILL');
  await done;
  await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once('exit', r)));
  const acked = log.ackAt.length;
  assert.equal(log.bad, undefined, 'every reply was an integer');

  const second = await serve(dir, appendfsync);
  const c = await RawClient.connect({ host: '127.0.0.1', port: second.port });
  try {
    const len = Number((await c.call('LLEN', 'durable')).slice(1));
    // LPUSH: the newest item is at the head. A prefix survived: item-0 at the tail, item-(len-1) at the head.
    if (len > 0) {
      assert.equal(await c.call('LINDEX', 'durable', '-1'), '$6\r\nitem-0\r\n');
      const head = `item-${len - 1}`;
      assert.equal(await c.call('LINDEX', 'durable', '0'), `$${head.length}\r\n${head}\r\n`, 'the survivors are the first pushes, without holes');
    }
    assert.ok(len <= log.sent, `${len} items after restart, ${log.sent} sent`);
    const lost = Math.max(0, acked - len);
    const lostAges = log.ackAt.slice(len).map((at) => killAt - at);
    t.diagnostic(
      `appendfsync ${appendfsync}: ${acked} acknowledged in ${(killAt - t0).toFixed(0)} ms, ${log.sent} sent, ${len} on disk after kill -9; ` +
        `acknowledged but lost: ${lost}${lost ? ` (acknowledged ${Math.min(...lostAges).toFixed(1)}–${Math.max(...lostAges).toFixed(1)} ms before the kill)` : ''}`,
    );
    return { acked, len, lostAges };
  } finally {
    c.close();
    second.child.kill('SIGTERM');
    await new Promise((r) => (second.child.exitCode !== null ? r(null) : second.child.once('exit', r)));
  }
}

describe('queue: kill -9 of the sandbox under load', () => {
  it('appendfsync always: no acknowledged LPUSH is lost', async (t) => {
    const { acked, len } = await killedUnderLoad(t, 'always', 3000, 500);
    assert.ok(len >= acked, `${len} items on disk, ${acked} acknowledged`);
  });

  it('appendfsync everysec: only LPUSHes acknowledged within the last second may be lost', async (t) => {
    // Push for 2.5 s so that plenty of items were acknowledged more than a second before the kill.
    const { lostAges } = await killedUnderLoad(t, 'everysec', 3000, 2500);
    for (const age of lostAges) assert.ok(age <= 1000, `an item acknowledged ${age.toFixed(0)} ms before the kill was lost`);
  });
});
