// Test helpers: start the embedded queue or a real redis-server on a free port, and a raw
// RESP socket client that returns replies byte-for-byte (for exact error strings).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, type AppendFsync, type DeepPartial, type QueueConfig } from '../../../sandbox/config';
import { LogHub } from '../../../sandbox/log';
import { createQueueServer, type QueueServer, type QueueServerOptions } from '../../../sandbox/queue/server';
import { TraceBus } from '../../../sandbox/trace/bus';
import { freePort } from '../../helpers/net';

export interface Target {
  name: 'embedded' | 'redis';
  host: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

export interface TargetOptions {
  requirepass?: string;
}

const tmpDirs: string[] = [];
process.on('exit', () => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp dir removed when the test process exits (tests restart servers on the same dir). */
export function tmpDir(prefix = 'queue-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

export interface Embedded extends Target {
  server: QueueServer;
  trace: TraceBus;
  logs: string[];
  dataDir: string;
}

export async function startEmbedded(
  o: TargetOptions & {
    dataDir?: string;
    appendfsync?: AppendFsync;
    port?: number;
    trace?: boolean;
    clientOutputBufferLimit?: DeepPartial<QueueConfig['clientOutputBufferLimit']>;
  } & Pick<QueueServerOptions, 'limits' | 'aofRewriteMinBytes'> = {},
): Promise<Embedded> {
  const dataDir = o.dataDir ?? tmpDir();
  const config = resolveConfig({
    dataDir,
    queue: { port: o.port ?? 0, requirepass: o.requirepass ?? '', appendfsync: o.appendfsync ?? 'everysec', clientOutputBufferLimit: o.clientOutputBufferLimit },
  });
  const hub = new LogHub('debug');
  const logs: string[] = [];
  hub.addSink((level, m) => logs.push(`${level} ${m}`));
  const trace = new TraceBus({ enabled: o.trace ?? false });
  const server = createQueueServer({ config, trace, log: hub.logger('queue'), limits: o.limits, aofRewriteMinBytes: o.aofRewriteMinBytes });
  const { port } = await server.start();
  return { name: 'embedded', host: '127.0.0.1', port, password: o.requirepass ?? '', server, trace, logs, dataDir, stop: () => server.stop() };
}

export async function startRedis(o: TargetOptions & { extraArgs?: string[] } = {}): Promise<Target> {
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(o.requirepass ? ['--requirepass', o.requirepass] : []), ...(o.extraArgs ?? [])];
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: 'redis',
    host: '127.0.0.1',
    port,
    password: o.requirepass ?? '',
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** End offset of one complete RESP2/RESP3 reply starting at `pos`, or -1 if incomplete. */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const head = buf.toString('latin1', pos + 1, lineEnd);
  let p = lineEnd + 2;
  switch (type) {
    case '$':
    case '=':
    case '!': {
      const n = Number(head);
      if (n < 0) return p;
      return buf.length >= p + n + 2 ? p + n + 2 : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let n = Number(head);
      if (n < 0) return p;
      if (type === '%' || type === '|') n *= 2;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      return p;
  }
}

/** A raw RESP connection: write bytes, read whole replies as latin1 strings. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.closedPromise = new Promise((r) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      r();
    }));
    socket.on('error', () => {});
  }

  static async connect(t: { host: string; port: number }): Promise<RawClient> {
    const s = net.connect(t.port, t.host);
    await new Promise<void>((r, j) => {
      s.once('connect', () => r());
      s.once('error', j);
    });
    return new RawClient(s);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Send one command as a RESP array. */
  send(...argv: string[]): void {
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.socket.write(s);
  }

  /** Next complete reply (raw bytes as latin1 text). Rejects on close or timeout. */
  async read(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = replyEnd(this.buf, 0);
      if (end >= 0) {
        const s = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end);
        return s;
      }
      if (this.closed) throw new Error(`connection closed (pending: ${JSON.stringify(this.buf.toString('latin1'))})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (pending: ${JSON.stringify(this.buf.toString('latin1'))})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Send and read one reply. */
  async call(...argv: string[]): Promise<string> {
    this.send(...argv);
    return this.read();
  }

  /** True if nothing arrives within `ms`. */
  async silent(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buf.length === 0;
  }

  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Poll until `fn` is true. */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Number of blocked clients according to INFO clients (works on both servers). */
export async function blockedClients(t: Target, raw?: RawClient): Promise<number> {
  const c = raw ?? (await RawClient.connect(t));
  try {
    if (t.password && !raw) await c.call('AUTH', t.password);
    const info = await c.call('INFO', 'clients');
    const m = /blocked_clients:(\d+)/.exec(info);
    return m ? Number(m[1]) : -1;
  } finally {
    if (!raw) c.close();
  }
}
