// What tracing costs per routed message, without sockets: the session manager core (the real
// pipeline, router and built-in plugins) routes c2s→c2s messages between two in-memory
// sessions that serialise what they are sent, as the wire would. Prints CPU µs per message for
// trace off, on and on with a subscriber, in interleaved rounds, and the ratios. This is the
// figure to profile (`node --cpu-prof --import tsx bench/pipeline.ts`) when changing the trace
// path: on a shared 2-core machine the socket benchmark (bench/table.ts) is too noisy for it.
//
//   npx tsx bench/pipeline.ts [--messages 200000] [--rounds 5] [--mode off|on|sub: only that one, to profile it]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import parse from '@xmpp/xml/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { resolveConfig } from '../sandbox/config';
import { LogHub } from '../sandbox/log';
import { TraceBus } from '../sandbox/trace/bus';
import { createSessionManagerCore } from '../sandbox/xmpp/core/index';
import { parseJid, type Jid } from '../sandbox/xmpp/jid';
import type { StreamSession } from '../sandbox/xmpp/session';
import { serializeTop } from '../sandbox/xmpp/xml/serialize';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const MESSAGES = opt('messages', 200_000);
const ROUNDS = opt('rounds', 5);

let sessions = 0;
/** A bound c2s session whose wire is a string sink: send() serialises as the TCP stream does. */
class MemorySession implements StreamSession {
  readonly id = `c2s-mem-${++sessions}`;
  readonly kind = 'c2s' as const;
  readonly transport = 'tcp' as const;
  readonly connectedAt = Date.now();
  jid: Jid | null = null;
  sm: 'off' | 'on' | 'detached' = 'off';
  bytes = 0;
  send(stanza: Element): boolean {
    this.bytes += serializeTop(stanza, ['jabber:client']).length;
    return true;
  }
  close(): void {}
}

type Mode = 'off' | 'on' | 'sub';

function measure(mode: Mode): number {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-pipeline-'));
  const config = resolveConfig({ dataDir });
  const trace = new TraceBus({ capacity: config.trace.bufferSize, enabled: mode !== 'off', flushIntervalMs: 50 });
  let seen = 0;
  // As the stanza inspector subscribes (over IPC, src/inspector/controller.ts): summaries.
  if (mode === 'sub') trace.subscribe((events) => (seen += events.length), { summary: true });
  const core = createSessionManagerCore({ config, trace, log: new LogHub('error').logger() });
  const login = (full: string) => {
    const s = new MemorySession();
    const j = parseJid(full);
    s.jid = core.sm.bind(s, parseJid(j.bare), j.resource);
    core.sm.receive(s, parse(`<presence/>`));
    return s;
  };
  const alice = login('alice@localhost/a');
  const bob = login('bob@localhost/b');
  const body = 'x'.repeat(48);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) {
    // A fresh element each time, as the parser makes one per stanza.
    core.sm.receive(alice, parse(`<message to='bob@localhost/b' type='chat' id='m${i}'><body>${body}</body></message>`));
    if ((i & 1023) === 0) trace.flush();
  }
  trace.flush();
  const cpu = process.cpuUsage(cpu0);
  if (bob.bytes === 0 || (mode === 'sub' && seen === 0)) throw new Error(`nothing was routed (${mode})`);
  rmSync(dataDir, { recursive: true, force: true });
  return (cpu.user + cpu.system) / MESSAGES;
}

const only = argv.includes('--mode') ? (argv[argv.indexOf('--mode') + 1] as Mode) : null;
const runs: Record<Mode, number[]> = { off: [], on: [], sub: [] };
measure(only ?? 'on'); // warm-up: V8 optimises the shared code paths
for (let r = 0; r < ROUNDS; r++) for (const m of only ? [only] : (['off', 'on', 'sub'] as const)) runs[m].push(measure(m));
if (only) {
  console.log(`pipeline, trace ${only}: ${runs[only].map((x) => x.toFixed(2)).join(', ')} µs CPU per message`);
  process.exit(0);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [off, on, sub] = [med(runs.off), med(runs.on), med(runs.sub)];
console.log(`pipeline, c2s→c2s message, ${MESSAGES} per run, median of ${ROUNDS} interleaved rounds (CPU µs per message, parse and serialise included):`);
console.log(`  trace off ${off.toFixed(2)} µs   trace on ${on.toFixed(2)} µs (${(on / off).toFixed(2)}× off)   subscribed ${sub.toFixed(2)} µs (${(sub / off).toFixed(2)}× off)`);
console.log(`  as throughput: trace on = ${(off / on).toFixed(2)} of trace off; subscribed = ${(on / sub).toFixed(2)} of trace on`);
