// XMPP message throughput through the embedded server: N senders → 1 receiver over c2s TCP,
// closed loop (each sender keeps WINDOW messages in flight), 64-byte bodies, p50/p99
// latency, trace off / on / on with a subscriber (what the stanza inspector costs: every batch
// forwarded over IPC as to the extension host), measured in the same run, with the ratios.
//
//   npx tsx bench/xmpp-throughput.ts [--senders 4] [--window 16] [--seconds 5] [--rounds 2] [--no-prosody]
//
// The load generator speaks the protocol over raw sockets (SASL PLAIN, bind, no XEP-0198):
// @xmpp/client costs more CPU per stanza than the server does, and on a 2-core machine it
// would measure itself. The server runs in a child process so the two do not share an
// event loop.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};

/** Trace events the parent received over IPC in 'sub' mode. */
const received = { events: 0, droppedPackets: 0 };

// ---- child: the server ----
async function serve(): Promise<void> {
  // off | on | sub: 'sub' is trace on with a subscriber that forwards every batch over IPC to
  // the parent, as the extension host receives them while the stanza inspector is open.
  const mode = args[1];
  const trace = mode === 'on' || mode === 'sub';
  const { resolveConfig } = await import('../sandbox/config');
  const { LogHub } = await import('../sandbox/log');
  const { TraceBus } = await import('../sandbox/trace/bus');
  const { createXmppServer } = await import('../sandbox/xmpp/server');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'xmpp-bench-'));
  const config = resolveConfig({ dataDir, xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1, smResumeTimeoutSec: 0 }, trace: { enabled: trace } });
  const tb = new TraceBus({ capacity: config.trace.bufferSize, enabled: trace });
  const server = createXmppServer({ config, trace: tb, log: new LogHub('error').logger() });
  const ports = await server.start();
  if (mode === 'sub') {
    // The same forwarding the extension's sandbox child uses (throttle + IPC backpressure).
    const { createIpcEventSender } = await import('../sandbox/control/ipc-child');
    const forward = createIpcEventSender((m, done) => process.send!(m, undefined, undefined, done));
    tb.subscribe((events) => forward({ type: 'trace', events: events as never }));
  }
  process.send!({ port: ports.c2sPort });
  let cpu0 = process.cpuUsage();
  process.on('message', async (m: string) => {
    if (m === 'mark') cpu0 = process.cpuUsage();
    if (m !== 'stop') return;
    const cpu = process.cpuUsage(cpu0);
    process.send!({ stats: server.stats(), traceEvents: tb.lastSeq, cpuMs: (cpu.user + cpu.system) / 1000 });
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

if (args[0] === '--serve') void serve();
else void main();

// ---- raw c2s client ----
class RawClient {
  private buf = '';
  private waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  onData: ((chunk: string) => void) | null = null;
  private constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      if (this.onData) return this.onData(d);
      this.buf += d;
      for (let i = 0; i < this.waiters.length; i++) {
        const w = this.waiters[i]!;
        if (w.re.test(this.buf)) {
          this.waiters.splice(i--, 1);
          const b = this.buf;
          this.buf = '';
          w.resolve(b);
        }
      }
    });
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }
  wait(re: RegExp): Promise<string> {
    if (re.test(this.buf)) {
      const b = this.buf;
      this.buf = '';
      return Promise.resolve(b);
    }
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }
  write(s: string): void {
    this.sock.write(s);
  }
  static async login(port: number, user: string, resource: string): Promise<RawClient> {
    const c = await RawClient.connect(port);
    const header = `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
    c.write(header);
    const f = await c.wait(/<\/stream:features>/);
    if (!/PLAIN/.test(f)) throw new Error('server does not offer PLAIN');
    c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    await c.wait(/<success/);
    c.write(header);
    await c.wait(/<\/stream:features>/);
    c.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await c.wait(/<\/iq>/);
    c.write(`<presence/>`);
    return c;
  }
}

/** Prosody on loopback as a reference peer (peers.md), when it is installed. Started as the prosody user, stopped by its PID. */
async function prosodyTarget(senders: number): Promise<Target> {
  const { execFileSync, spawn } = await import('node:child_process');
  const fs = await import('node:fs');
  try {
    execFileSync('which', ['prosody'], { stdio: 'ignore' });
  } catch {
    throw new Error('prosody is not installed (apt-get install prosody)');
  }
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'prosody-bench-'));
  const cfg = path.join(dir, 'prosody.cfg.lua');
  fs.mkdirSync(path.join(dir, 'data'));
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
log = { warn = "${dir}/prosody.log" }
VirtualHost "localhost"
`,
  );
  execFileSync('chown', ['-R', 'prosody:prosody', dir]);
  for (const u of ['sink', ...Array.from({ length: senders }, (_, i) => `sender${i}`)]) {
    execFileSync('runuser', ['-u', 'prosody', '--', 'prosodyctl', '--config', cfg, 'register', u, 'localhost', 'sandbox'], { stdio: 'ignore' });
  }
  const child = spawn('runuser', ['-u', 'prosody', '--', 'prosody', '--config', cfg, '-F'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('prosody did not start within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = Number(fs.readFileSync(path.join(dir, 'prosody.pid'), 'utf8').trim() || '0');
  const cpu = () => {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, clock ticks (100 Hz) → ms
    } catch {
      return 0;
    }
  };
  let cpu0 = cpu();
  return {
    port,
    mark: () => (cpu0 = cpu()),
    async stop() {
      const used = cpu() - cpu0;
      if (pid) process.kill(pid, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
      return { cpuMs: used, traceEvents: 0 };
    },
  };
}

interface RunResult {
  msgs: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  serverCpuMs: number;
  traceEvents: number;
}

type Mode = 'off' | 'on' | 'sub';

function startServer(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    // 'sub': the parent plays the extension host and counts what arrives over IPC.
    child.on('message', (m: { kind?: string; event?: { events: unknown[]; dropped?: number } }) => {
      if (m.kind !== 'event') return;
      received.events += m.event!.events.length;
      received.droppedPackets += m.event!.dropped ?? 0;
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

interface Target {
  port: number;
  /** Measurement starts: CPU is counted from here. */
  mark(): void;
  stop(): Promise<{ cpuMs: number; traceEvents: number }>;
}

async function sandboxTarget(mode: Mode): Promise<Target> {
  const { child, port } = await startServer(mode);
  return {
    port,
    mark: () => child.send('mark'),
    async stop() {
      const stats = await new Promise<{ cpuMs: number; traceEvents: number }>((resolve) => {
        const onStats = (m: { cpuMs?: number; traceEvents: number }) => {
          if (m.cpuMs === undefined) return;
          child.off('message', onStats);
          resolve(m as { cpuMs: number; traceEvents: number });
        };
        child.on('message', onStats);
        child.send('stop');
      });
      await new Promise((r) => child.once('exit', r));
      return stats;
    },
  };
}

async function run(target: Target, senders: number, window: number, seconds: number): Promise<RunResult> {
  const port = target.port;
  const sink = await RawClient.login(port, 'sink', 'r');
  sink.write(`<iq type='get' id='sync1'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await sink.wait(/sync1/); // the session is live
  const clients: RawClient[] = [];
  for (let i = 0; i < senders; i++) clients.push(await RawClient.login(port, `sender${i}`, 'r'));
  const pad = 'x'.repeat(64);
  const sentAt = new Map<string, number>();
  const seq = new Array(senders).fill(0);
  let measuring = false;
  let stopping = false;
  let count = 0;
  const lat: number[] = [];
  const send = (i: number) => {
    if (stopping) return;
    const key = `${i}:${seq[i]++}`;
    const body = (key + ':' + pad).slice(0, 64);
    sentAt.set(body.slice(0, body.indexOf(':', key.indexOf(':') + 1)), performance.now());
    clients[i]!.write(`<message to='sink@localhost/r' type='chat'><body>${body}</body></message>`);
  };
  let rest = '';
  sink.onData = (chunk) => {
    const s = rest + chunk;
    let pos = 0;
    for (;;) {
      const b = s.indexOf('<body>', pos);
      if (b < 0) break;
      const e = s.indexOf('</body>', b);
      if (e < 0) break;
      const body = s.slice(b + 6, e);
      pos = e + 7;
      const c1 = body.indexOf(':');
      const key = body.slice(0, body.indexOf(':', c1 + 1));
      const t0 = sentAt.get(key);
      if (t0 !== undefined) {
        sentAt.delete(key);
        if (measuring) {
          count++;
          lat.push(performance.now() - t0);
        }
        send(Number(body.slice(0, c1)));
      }
    }
    rest = s.slice(pos);
    // keep the tail only from the last unfinished tag
    const lt = rest.lastIndexOf('<message');
    rest = lt >= 0 ? rest.slice(lt) : '';
  };
  for (let i = 0; i < senders; i++) for (let w = 0; w < window; w++) send(i);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  measuring = true;
  target.mark();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stopping = true;
  const stats = await target.stop();
  await new Promise((r) => setTimeout(r, 200));
  for (const c of [sink, ...clients]) c.sock.destroy();
  lat.sort((a, b) => a - b);
  const q = (f: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * f))]! : NaN);
  return { msgs: count, seconds: elapsed, rate: count / elapsed, p50: q(0.5), p99: q(0.99), serverCpuMs: stats.cpuMs, traceEvents: stats.traceEvents };
}

async function main(): Promise<void> {
  const senders = arg('senders', 4);
  const window = arg('window', 16);
  const seconds = arg('seconds', 5);
  console.log(`xmpp-throughput: ${senders} senders → 1 receiver, c2s TCP, raw-socket load generator (PLAIN, no XEP-0198), closed loop with ${window} in flight per sender, 64-byte bodies, ${seconds} s per run`);
  const rounds = arg('rounds', 2);
  const line = (name: string, r: RunResult, extra = '') =>
    console.log(`${name.padEnd(18)} ${Math.round(r.rate).toString().padStart(6)} msg/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  server CPU ${(r.serverCpuMs / r.seconds / 10).toFixed(0)}%  (${r.msgs} msgs${extra})`);
  const withProsody = !args.includes('--no-prosody');
  const runs: Record<Mode | 'prosody', RunResult[]> = { off: [], on: [], sub: [], prosody: [] };
  const label: Record<Mode, string> = { off: 'trace off', on: 'trace on', sub: 'trace+subscriber' };
  // Interleaved rounds, so a busy neighbour on the machine hurts every configuration alike.
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['off', 'on', 'sub'] as const) {
      received.events = 0;
      received.droppedPackets = 0;
      const r = await run(await sandboxTarget(mode), senders, window, seconds);
      runs[mode].push(r);
      line(`#${round} ${label[mode]}`, r, mode === 'off' ? '' : `; trace events ${r.traceEvents}${mode === 'sub' ? `, ${received.events} forwarded over IPC, ${received.droppedPackets} packets over budget left out` : ''}`);
    }
    if (withProsody) {
      const prosody = await prosodyTarget(senders).catch((err: Error) => {
        if (round === 1) console.log(`prosody reference skipped: ${err.message}`);
        return null;
      });
      if (prosody) {
        const r = await run(prosody, senders, window, seconds);
        runs.prosody.push(r);
        line(`#${round} prosody 0.12`, r, '; XEP-0198 off');
      }
    }
  }
  const median = (xs: number[]) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
  };
  const med = (k: keyof typeof runs) => ({ rate: median(runs[k].map((r) => r.rate)), p50: median(runs[k].map((r) => r.p50)), p99: median(runs[k].map((r) => r.p99)) });
  const off = med('off');
  const on = med('on');
  console.log(`median of ${rounds}: trace off ${Math.round(off.rate)} msg/s (p50 ${off.p50.toFixed(2)} / p99 ${off.p99.toFixed(2)} ms), trace on ${Math.round(on.rate)} msg/s (p50 ${on.p50.toFixed(2)} / p99 ${on.p99.toFixed(2)} ms)`);
  const sub = med('sub');
  console.log(`median of ${rounds}: trace with a subscriber over IPC (inspector open) ${Math.round(sub.rate)} msg/s (p50 ${sub.p50.toFixed(2)} / p99 ${sub.p99.toFixed(2)} ms)`);
  console.log(`ratio trace on / off: ${(on.rate / off.rate).toFixed(2)} (throughput), p50 ${(on.p50 / off.p50).toFixed(2)}x`);
  console.log(`ratio trace with subscriber / trace on without: ${(sub.rate / on.rate).toFixed(2)}; with subscriber / trace off: ${(sub.rate / off.rate).toFixed(2)}`);
  if (runs.prosody.length) {
    const pr = med('prosody');
    console.log(`prosody 0.12 median ${Math.round(pr.rate)} msg/s (p50 ${pr.p50.toFixed(2)} / p99 ${pr.p99.toFixed(2)} ms)`);
    console.log(`ratio sandbox / prosody: trace off ${(off.rate / pr.rate).toFixed(2)}, trace on ${(on.rate / pr.rate).toFixed(2)}`);
  }
  console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores (figures are only comparable within one run)`);
}
