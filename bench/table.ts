// `npm run bench`: the side-by-side benchmark of issue 11, printed as ONE markdown table.
// Every figure and ratio comes from the same run; interleaved rounds (every target once per
// round) and medians, so a busy neighbour hurts all targets alike. The load generator runs in
// its own process and its CPU is printed beside the server's: when it nears a full core, it,
// not the server, is the bound.
//
//   routing (XMPP c2s, raw-socket load generator, bench/loadgen.ts):
//     4→1        4 senders → 1 receiver, 64-byte bodies, closed loop, 100 in flight per sender
//     N↔N        8 clients, each to the next, 64-byte bodies, closed loop, 50 in flight each
//     4 KiB      4→1 with 4 KiB bodies, 20 in flight per sender
//     open 5k/s  4→1 open loop at 5,000 msg/s: p99 latency
//   queue (redis-benchmark -t lpush,lpop -c 50): -P 16 rate; unpipelined server CPU per command
//   scale: N sessions log in (bind + presence), 100 at a time: logins/s and the server's RSS
//   targets: the sandbox (dist/sandbox.js as the extension runs it: trace off, trace on (the
//   default), trace on with the inspector subscribed), ejabberd, Prosody, redis-server.
//
//   npm run bench [-- --quick] [--rounds N] [--seconds S] [--sessions N] [--only routing,queue,scale]
//                 [--targets sandbox-off,sandbox-on,sandbox-sub,ejabberd,prosody] [--cpu-prof DIR]

import { fork, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import { cpuMsOf, ejabberd, installed, Missing, prosody, redisServer, rssMiB, sandbox, type Server, type TraceMode } from './peers';
import type { Job, LoadResult } from './loadgen';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const ROUNDS = Number(opt('rounds') ?? (quick ? 1 : 3));
const SECONDS = Number(opt('seconds') ?? (quick ? 2 : 5));
const WARMUP_MS = quick ? 500 : 1000;
const SESSIONS = Number(opt('sessions') ?? (quick ? 1000 : 10_000));
const QUEUE_N = quick ? 50_000 : 200_000;
const ONLY = (opt('only') ?? 'routing,queue,scale').split(',');
const PROF_DIR = opt('cpu-prof');

// ---------------------------------------------------------------- targets

type XmppTarget = 'sandbox-off' | 'sandbox-on' | 'sandbox-sub' | 'ejabberd' | 'prosody';
const XMPP_TARGETS: XmppTarget[] = ['sandbox-off', 'sandbox-on', 'sandbox-sub', 'ejabberd', 'prosody'];
const LABEL: Record<string, string> = {
  'sandbox-off': 'sandbox, trace off',
  'sandbox-on': 'sandbox, trace on (default)',
  'sandbox-sub': 'sandbox, inspector subscribed',
  'redis-benchmark': 'redis-benchmark',
  ejabberd: 'ejabberd',
  prosody: 'Prosody',
  redis: 'redis-server',
};
const targets = (opt('targets')?.split(',') as XmppTarget[] | undefined) ?? XMPP_TARGETS;

/** The users every routing scenario logs in as (Prosody needs them as accounts). */
const ROUTING_USERS = ['sink', ...Array.from({ length: 8 }, (_, i) => `sender${i}`)];

function startXmpp(t: XmppTarget, users: readonly string[]): Promise<Server & { received?: { events: number; packets: number; droppedPackets: number } }> {
  if (t === 'ejabberd') return ejabberd();
  if (t === 'prosody') return prosody(users);
  const mode = t.slice('sandbox-'.length) as TraceMode;
  return sandbox(mode, PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : []);
}

// ---------------------------------------------------------------- measurements

interface Sample {
  /** The scenario's figure: msg/s, p99 ms, req/s, µs per command, logins/s, MiB. */
  value: number;
  serverCpuPct: number;
  loadCpuPct: number;
  /** Server CPU per message, login or command, µs: the figure a busy neighbour skews least. */
  serverUsPerOp?: number;
  note?: string;
}

/** Runs one load-generator job against `server`; the server's CPU is read when the generator starts measuring and when it reports. */
function load(server: Server, job: Job, onResult?: (r: LoadResult, release: () => void) => void): Promise<{ r: LoadResult; serverCpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./loadgen.ts', import.meta.url).pathname, [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let cpu0 = 0;
    let settled = false;
    child.on('message', (m: { measuring?: boolean; result?: LoadResult; error?: string }) => {
      if (m.measuring) cpu0 = cpuMsOf(server.pid);
      else if (m.error) {
        settled = true;
        reject(new Error(m.error));
      } else if (m.result) {
        const serverCpuMs = cpuMsOf(server.pid) - cpu0;
        settled = true;
        const done = () => resolve({ r: m.result!, serverCpuMs });
        if (onResult) onResult(m.result, () => (child.send('release'), child.once('exit', done)));
        else done();
      }
    });
    child.once('exit', (code) => (settled ? undefined : reject(new Error(`load generator exited with ${code}`))));
  });
}

const pct = (cpuMs: number, seconds: number) => cpuMs / seconds / 10;

type RoutingScenario = '4→1' | 'N↔N' | '4 KiB' | 'open 5k/s p99';
const ROUTING: { name: RoutingScenario; unit: string; job: (port: number) => Job; figure: (r: LoadResult) => number }[] = [
  { name: '4→1', unit: 'msg/s', job: (port) => ({ kind: 'closed', port, senders: 4, mesh: false, window: 100, bodyBytes: 64, warmupMs: WARMUP_MS, seconds: SECONDS }), figure: (r) => r.count / r.seconds },
  { name: 'N↔N', unit: 'msg/s', job: (port) => ({ kind: 'closed', port, senders: 8, mesh: true, window: 50, bodyBytes: 64, warmupMs: WARMUP_MS, seconds: SECONDS }), figure: (r) => r.count / r.seconds },
  { name: '4 KiB', unit: 'msg/s', job: (port) => ({ kind: 'closed', port, senders: 4, mesh: false, window: 20, bodyBytes: 4096, warmupMs: WARMUP_MS, seconds: SECONDS }), figure: (r) => r.count / r.seconds },
  { name: 'open 5k/s p99', unit: 'ms', job: (port) => ({ kind: 'open', port, senders: 4, rate: 5000, bodyBytes: 64, warmupMs: WARMUP_MS, seconds: SECONDS }), figure: (r) => r.p99 },
];

/** samples[scenario][target] */
const samples = new Map<string, Map<string, Sample[]>>();
const missing = new Map<string, string>();
function record(scenario: string, target: string, s: Sample): void {
  if (!samples.has(scenario)) samples.set(scenario, new Map());
  const m = samples.get(scenario)!;
  if (!m.has(target)) m.set(target, []);
  m.get(target)!.push(s);
}

async function withTarget<T>(name: string, start: () => Promise<T>): Promise<T | null> {
  if (missing.has(name)) return null;
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof Missing)) console.error(`${name}: ${(err as Error).message}`);
    missing.set(name, err instanceof Missing ? err.message : `failed to start: ${(err as Error).message}`);
    return null;
  }
}

async function routingRound(round: number): Promise<void> {
  for (const t of targets) {
    const server = await withTarget(t, () => startXmpp(t, ROUTING_USERS));
    if (!server) continue;
    try {
      for (const sc of ROUTING) {
        const before = server.received ? { ...server.received } : null;
        const { r, serverCpuMs } = await load(server, sc.job(server.port));
        let note: string | undefined;
        if (before && server.received) {
          const ev = server.received.events - before.events;
          const got = server.received.packets - before.packets;
          const left = server.received.droppedPackets - before.droppedPackets;
          note = `${got} packets (${ev} events) to the host, ${left} packets left out`;
        }
        record(sc.name, t, { value: sc.figure(r), serverCpuPct: pct(serverCpuMs, r.seconds), loadCpuPct: pct(r.cpuMs, r.seconds), serverUsPerOp: (serverCpuMs * 1000) / r.count, note });
        console.error(`  round ${round} ${sc.name.padEnd(14)} ${LABEL[t]!.padEnd(30)} ${sc.figure(r).toFixed(sc.unit === 'ms' ? 2 : 0)} ${sc.unit}  server ${pct(serverCpuMs, r.seconds).toFixed(0)}% CPU, load generator ${pct(r.cpuMs, r.seconds).toFixed(0)}%${note ? `  (${note})` : ''}`);
      }
    } catch (err) {
      console.error(`  ${t}: ${(err as Error).message}`);
    } finally {
      await server.stop();
    }
  }
}

// ---- queue ----

interface BenchOut {
  /** requests per second, by test */
  rates: Record<string, number>;
  /** redis-benchmark's own CPU, ms */
  cpuMs: number;
  seconds: number;
}

/** redis-benchmark with its CPU: the shell that waited for it reports its children's time (/proc/self/stat cutime + cstime). */
function redisBenchmark(port: number, pipeline: number): Promise<BenchOut> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'lpush,lpop', '-n', String(QUEUE_N), '-c', '50', '-q', ...(pipeline > 1 ? ['-P', String(pipeline)] : [])];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('bash', ['-c', 'redis-benchmark "$@" && echo "CHILD_CPU $(cut -d" " -f16,17 /proc/$$/stat)"', 'bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => {
      const rates: Record<string, number> = {};
      for (const line of out.split(/[\r\n]+/)) {
        const m = /^(\w+): ([\d.]+) requests per second/.exec(line.trim());
        if (m) rates[m[1]!] = Number(m[2]);
      }
      const cpu = /CHILD_CPU (\d+) (\d+)/.exec(out);
      if (Object.keys(rates).length === 0 || !cpu) reject(new Error(`redis-benchmark printed no results:\n${out.slice(-500)}`));
      else resolve({ rates, cpuMs: ((Number(cpu[1]) + Number(cpu[2])) * 1000) / 100, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const meanRate = (b: BenchOut) => Object.values(b.rates).reduce((a, x) => a + x, 0) / Object.values(b.rates).length;

async function queueRound(round: number): Promise<void> {
  if (!installed('redis-benchmark')) {
    missing.set('redis-benchmark', 'redis-benchmark is not installed (apt-get install redis-tools): no queue figures');
    return;
  }
  for (const t of ['sandbox-on', 'sandbox-off', 'redis'] as const) {
    const server = await withTarget(t, async () => {
      if (t === 'redis') return redisServer();
      const s = await sandbox(t === 'sandbox-on' ? 'on' : 'off');
      return { ...s, port: s.queuePort };
    });
    if (!server) continue;
    try {
      if (t !== 'redis') await redisBenchmark(server.port, 16); // warm-up: V8 optimises the hot paths (redis-server has no JIT)
      const c0 = cpuMsOf(server.pid);
      const piped = await redisBenchmark(server.port, 16);
      const c1 = cpuMsOf(server.pid);
      const plain = await redisBenchmark(server.port, 1);
      const c2 = cpuMsOf(server.pid);
      const requests = QUEUE_N * Object.keys(plain.rates).length;
      record('queue -P 16', t, { value: meanRate(piped), serverCpuPct: pct(c1 - c0, piped.seconds), loadCpuPct: pct(piped.cpuMs, piped.seconds), serverUsPerOp: ((c1 - c0) * 1000) / requests });
      record('queue unpipelined, server CPU per command', t, {
        value: ((c2 - c1) * 1000) / requests,
        serverCpuPct: pct(c2 - c1, plain.seconds),
        loadCpuPct: pct(plain.cpuMs, plain.seconds),
        note: `${Math.round(meanRate(plain))} req/s`,
      });
      console.error(`  round ${round} queue ${LABEL[t]!.padEnd(30)} -P 16 ${Math.round(meanRate(piped))} req/s; unpipelined ${Math.round(meanRate(plain))} req/s, ${(((c2 - c1) * 1000) / requests).toFixed(1)} µs CPU per command`);
    } catch (err) {
      console.error(`  ${t}: ${(err as Error).message}`);
    } finally {
      await server.stop();
    }
  }
}

// ---- scale ----

async function scaleRound(round: number): Promise<void> {
  const users = Array.from({ length: SESSIONS }, (_, i) => `user${i}`);
  for (const t of (['sandbox-on', 'ejabberd', 'prosody'] as const).filter((x) => targets.includes(x))) {
    const server = await withTarget(t, () => startXmpp(t, users));
    if (!server) continue;
    try {
      const rss0 = rssMiB(server.pid);
      let rss = NaN;
      const { r, serverCpuMs } = await load(server, { kind: 'logins', port: server.port, sessions: SESSIONS, parallel: 100 }, (_r, release) => {
        rss = rssMiB(server.pid);
        release();
      });
      record(`scale ${SESSIONS} sessions, logins/s`, t, { value: r.count / r.seconds, serverCpuPct: pct(serverCpuMs, r.seconds), loadCpuPct: pct(r.cpuMs, r.seconds), serverUsPerOp: (serverCpuMs * 1000) / r.count, note: `${r.seconds.toFixed(1)} s` });
      record(`scale ${SESSIONS} sessions, server RSS MiB`, t, { value: rss, serverCpuPct: NaN, loadCpuPct: NaN, note: `${rss0.toFixed(0)} MiB before the logins` });
      console.error(`  round ${round} scale ${LABEL[t]!.padEnd(30)} ${r.count} sessions in ${r.seconds.toFixed(1)} s (${Math.round(r.count / r.seconds)}/s), RSS ${rss.toFixed(0)} MiB (${rss0.toFixed(0)} before)`);
    } catch (err) {
      console.error(`  ${t}: ${(err as Error).message}`);
    } finally {
      await server.stop();
    }
  }
}

// ---------------------------------------------------------------- the table

const median = (xs: number[]) => {
  const a = xs.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};

/** Lower is better for latency, CPU per command and memory; the ratio is then reference / value, so > 1 always means "better than". */
const lowerIsBetter = (scenario: string) => /p99|CPU per command|RSS/.test(scenario);

function fmt(x: number): string {
  if (Number.isNaN(x)) return '–';
  if (x >= 10_000) return `${(x / 1000).toFixed(1)}k`;
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(x >= 10 ? 1 : 2);
}

function table(): string {
  const refs = ['ejabberd', 'prosody', 'redis', 'sandbox-on'];
  const lines = [
    '| scenario | target | result | × ejabberd | × Prosody | × redis-server | × trace on | server CPU | server µs/op | load gen CPU | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [scenario, byTarget] of samples) {
    const med = new Map([...byTarget].map(([t, s]) => [t, median(s.map((x) => x.value))]));
    for (const [t, s] of byTarget) {
      const v = med.get(t)!;
      const ratio = (ref: string) => {
        const r = med.get(ref);
        if (r === undefined || ref === t || Number.isNaN(r) || Number.isNaN(v)) return '';
        return `${(lowerIsBetter(scenario) ? r / v : v / r).toFixed(2)}×`;
      };
      const unit = /p99/.test(scenario) ? ' ms' : /CPU per command/.test(scenario) ? ' µs' : /RSS/.test(scenario) ? ' MiB' : /queue/.test(scenario) ? ' req/s' : /logins/.test(scenario) ? '/s' : ' msg/s';
      const cpu = (x: number) => (Number.isNaN(x) ? '' : `${x.toFixed(0)}%`);
      const notes = s.map((x) => x.note).filter(Boolean);
      lines.push(
        `| ${scenario} | ${LABEL[t]} | ${fmt(v)}${unit} | ${refs.slice(0, 4).map(ratio).join(' | ')} | ${cpu(median(s.map((x) => x.serverCpuPct)))} | ${fmt(median(s.map((x) => x.serverUsPerOp ?? NaN)))} | ${cpu(median(s.map((x) => x.loadCpuPct)))} | ${notes.length ? notes[notes.length - 1] : ''} |`,
      );
    }
  }
  for (const [t, why] of missing) lines.push(`| – | ${LABEL[t] ?? t} | not measured | | | | | | | | ${why} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.error(`bench: ${ROUNDS} interleaved round(s), ${SECONDS} s per measurement, ${SESSIONS} sessions; ${cpus.length} × ${cpus[0]?.model ?? '?'}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (PROF_DIR) fs.mkdirSync(PROF_DIR, { recursive: true });
  for (let round = 1; round <= ROUNDS; round++) {
    if (ONLY.includes('routing')) await routingRound(round);
    if (ONLY.includes('queue')) await queueRound(round);
  }
  // Scale once: logging 10k sessions in is long, and its figures vary less than rates do.
  if (ONLY.includes('scale')) await scaleRound(1);
  console.log(`\n${table()}\n`);
  console.log(
    `Measured by \`npm run bench${quick ? ' -- --quick' : ''}\`: ${ROUNDS} interleaved round(s), medians; Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}. Ratios compare the result with the same scenario's reference in this run (> 1: better than it). Server and load generator CPU: % of one core while measuring; server µs/op: its CPU per message (routing), login or command (queue -P 16), the figure other load on the machine skews least.`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
