// The servers the benchmark compares, each started on free loopback ports for one measurement
// and stopped by its own PID (/work/shared/design/peers.md): the sandbox (the built
// dist/sandbox.js as the extension runs it, over IPC), Prosody, ejabberd and redis-server,
// all from Debian. A peer that is not installed throws a Missing error: the table gets a row
// saying so instead of a crash.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ControlEvent } from '../sandbox/control/api';
import { IpcControlClient } from '../sandbox/control/ipc-client';

export class Missing extends Error {}

export interface Server {
  /** c2s port (XMPP servers) or RESP port (queues). */
  port: number;
  /** The process whose CPU and memory are the server's. */
  pid: number;
  stop(): Promise<void>;
}

export const SANDBOX_BUNDLE = path.resolve('dist/sandbox.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
    srv.on('error', reject);
  });
}

/** CPU the process has used so far (user + system), ms; /proc/PID/stat fields 14 and 15, in clock ticks (100 Hz). */
export function cpuMsOf(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** Resident memory, MiB (/proc/PID/status VmRSS). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function installed(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function waitForPort(port: number, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/**
 * SIGTERM `pid`, and SIGKILL it if `child` has not exited 10 s later: Prosody 0.12 can hang on
 * SIGTERM after thousands of sessions closed at once (mod_c2s: "attempt to call a nil value
 * (method 'close')").
 */
async function terminate(pid: number, child: ChildProcess): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 10_000);
  await exited(child);
  clearTimeout(timer);
}

export type TraceMode = 'off' | 'on' | 'sub';

export interface SandboxServer extends Server {
  queuePort: number;
  /** 'sub' only: trace events and packets (arrivals) the host received, and packets the throttle left out. */
  received?: { events: number; packets: number; droppedPackets: number };
}

/**
 * The sandbox as the extension runs it: dist/sandbox.js --ipc, driven by IpcControlClient.
 * 'sub' subscribes to trace batches, as the stanza inspector does (this process is the host).
 */
export async function sandbox(mode: TraceMode, execArgv: string[] = []): Promise<SandboxServer> {
  if (!fs.existsSync(SANDBOX_BUNDLE)) throw new Missing(`${SANDBOX_BUNDLE} is not built (node esbuild.mjs --only=sandbox)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sandbox-'));
  const client = await IpcControlClient.start(
    SANDBOX_BUNDLE,
    { dataDir, logLevel: 'error', xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1 }, queue: { port: 0 }, bridge: { enabled: false }, trace: { enabled: mode !== 'off' } },
    { execArgv },
  );
  const received = { events: 0, packets: 0, droppedPackets: 0 };
  const onTrace = (e: ControlEvent) => {
    if (e.type !== 'trace') return;
    received.events += e.events.length;
    for (const x of e.events) if (x.type === 'arrival') received.packets++;
    received.droppedPackets += e.dropped ?? 0;
  };
  // As the stanza inspector subscribes: summaries (src/inspector/controller.ts).
  const off = mode === 'sub' ? client.onEvent(onTrace, { trace: 'summary' }) : null;
  const ep = client.status!.endpoints!;
  return {
    port: Number(new URL(ep.c2s).port),
    queuePort: Number(new URL(ep.queue!).port),
    pid: client.pid!,
    ...(mode === 'sub' ? { received } : {}),
    async stop() {
      off?.();
      await client.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Run as `user` without a PAM session (setpriv, not su or runuser): PAM's limits would drop the
 * open-file limit to 1024, and 10k sessions need more; this one is inherited.
 */
function asUser(user: string): string[] {
  return ['--reuid', user, '--regid', user, '--init-groups', '--'];
}

/** Prosody on loopback (peers.md), run as the prosody user; `users` accounts with the password 'sandbox', written as account files. */
export async function prosody(users: readonly string[]): Promise<Server> {
  if (!installed('prosody')) throw new Missing('prosody is not installed (apt-get install prosody)');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-prosody-'));
  const cfg = path.join(dir, 'prosody.cfg.lua');
  fs.writeFileSync(
    cfg,
    `pidfile = "${dir}/prosody.pid"; data_path = "${dir}/data"
interfaces = { "127.0.0.1" }; local_interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }; c2s_interfaces = { "127.0.0.1" }
http_ports = { }; https_ports = { }
network_settings = { nagle = false }
modules_enabled = { "disco"; "roster"; "saslauth"; "ping" }
modules_disabled = { "s2s"; "offline" }
c2s_require_encryption = false; allow_unencrypted_plain_auth = true
authentication = "internal_plain"
limits = { c2s = { rate = "100mb/s" } }
log = { error = "${dir}/prosody.log" }
VirtualHost "localhost"
`,
  );
  // internal_plain keeps one Lua file per account (data/<host>/accounts/<user>.dat): writing them
  // is what `prosodyctl register` does, without starting Lua once per user.
  const accounts = path.join(dir, 'data', 'localhost', 'accounts');
  fs.mkdirSync(accounts, { recursive: true });
  for (const u of users) fs.writeFileSync(path.join(accounts, `${u}.dat`), `return {\n\t["password"] = "sandbox";\n};\n`);
  execFileSync('chown', ['-R', 'prosody:prosody', dir]);
  const child = spawn('setpriv', [...asUser('prosody'), 'prosody', '--config', cfg, '-F'], { stdio: 'ignore' });
  await waitForPort(port, 'prosody');
  const pid = Number(fs.readFileSync(path.join(dir, 'prosody.pid'), 'utf8').trim());
  return {
    port,
    pid,
    async stop() {
      await terminate(pid, child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The descendant of `root` whose command is `name` (ejabberdctl → erl → beam.smp). */
function descendant(root: number, name: string): number | null {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of children.get(p) ?? []) {
      try {
        if (fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim().startsWith(name)) return c;
      } catch {
        // gone meanwhile
      }
      queue.push(c);
    }
  }
  return null;
}

/**
 * ejabberd on loopback (peers.md): its own config, spool and node name, Erlang distribution on a
 * fixed free port without epmd (ERL_DIST_PORT), so nothing listens beyond loopback and nothing
 * outlives the run. Logins: anonymous 'login_anon' takes any user name with any password over
 * SASL PLAIN, so no accounts need registering (XEP-0175's login flavour; routing between the
 * logged-in users is the same).
 */
export async function ejabberd(): Promise<Server> {
  if (!installed('ejabberdctl')) throw new Missing('ejabberd is not installed (apt-get install ejabberd)');
  const [port, distPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ejabberd-'));
  for (const d of ['spool', 'logs']) fs.mkdirSync(path.join(dir, d));
  const cfg = path.join(dir, 'ejabberd.yml');
  fs.writeFileSync(
    cfg,
    `hosts: [localhost]
loglevel: error
auth_method: [anonymous]
anonymous_protocol: login_anon
allow_multiple_connections: true
shaper:
  fast: 100000000
shaper_rules:
  c2s_shaper: fast
  max_user_sessions: 100000
acl: {}
access_rules: {}
listen:
  - port: ${port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
    shaper: c2s_shaper
    backlog: 1024
    max_stanza_size: 1048576
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
`,
  );
  fs.writeFileSync(path.join(dir, 'ejabberdctl.cfg'), '');
  execFileSync('chown', ['-R', 'ejabberd:ejabberd', dir]);
  const child = spawn(
    'setpriv',
    [...asUser('ejabberd'), 'ejabberdctl', '--config', cfg, '--ctl-config', path.join(dir, 'ejabberdctl.cfg'), '--spool', path.join(dir, 'spool'), '--logs', path.join(dir, 'logs'), '--node', `bench${port}@localhost`, 'foreground'],
    // HOME: Erlang writes its cookie there, and it must be the ejabberd user's to write.
    { stdio: 'ignore', env: { ...process.env, HOME: dir, ERL_DIST_PORT: String(distPort), ERL_EPMD_ADDRESS: '127.0.0.1' }, cwd: dir },
  );
  try {
    await waitForPort(port, 'ejabberd', 60_000);
  } catch (err) {
    const beam = descendant(child.pid!, 'beam');
    if (beam !== null) process.kill(beam, 'SIGKILL');
    child.kill();
    throw err;
  }
  const pid = descendant(child.pid!, 'beam');
  if (pid === null) throw new Error('ejabberd started, but its beam.smp process was not found');
  return {
    port,
    pid,
    async stop() {
      await terminate(pid, child); // the Erlang VM stops gracefully on SIGTERM
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server on loopback, AOF everysec (as the sandbox's queue by default). */
export async function redisServer(): Promise<Server> {
  if (!installed('redis-server')) throw new Missing('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir, '--daemonize', 'no'], { stdio: 'ignore' });
  await waitForPort(port, 'redis-server');
  return {
    port,
    pid: child.pid!,
    async stop() {
      await terminate(child.pid!, child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
