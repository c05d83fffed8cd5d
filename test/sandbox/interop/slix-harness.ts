// Test support for the slixmpp interop tests: the whole sandbox in-process (createSandbox) on
// free ports with a temp dataDir, slixmpp processes (fixtures/*.py run by Debian's
// /usr/bin/python3 with python3-slixmpp) driven over JSON lines, and @xmpp/client peers.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { createSandbox, type Endpoints, type Sandbox } from '../../../sandbox/index';
import { Inbox } from '../../helpers/inbox';
import { startXmppClient, type XmppTestClient } from '../../helpers/xmpp-client';

export { xml };

/** Debian's interpreter: python3-slixmpp installs into /usr/lib/python3/dist-packages only. */
export const PYTHON = '/usr/bin/python3';
const FIXTURES = path.join(__dirname, 'fixtures');

/** Fail (never skip: CI treats a skip as a failure) with the fix when slixmpp is missing. */
export function requireSlixmpp(): void {
  const r = spawnSync(PYTHON, ['-c', 'import slixmpp; print(slixmpp.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`slixmpp is not importable by ${PYTHON} (${(r.error?.message ?? r.stderr).trim()}). Install Debian's python3-slixmpp: apt-get install -y --no-install-recommends python3-slixmpp`);
  }
}

export interface InteropSandbox {
  sandbox: Sandbox;
  endpoints: Endpoints;
  c2sPort: number;
  componentPort: number;
  password: string;
  stop(): Promise<void>;
}

export async function startSandbox(xmppOverrides: { smResumeTimeoutSec?: number } = {}): Promise<InteropSandbox> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'interop-'));
  const sandbox = createSandbox({
    dataDir,
    logLevel: 'warn',
    xmpp: { c2sPort: 0, wsPort: -1, componentPort: 0, ...xmppOverrides },
    queue: { enabled: false },
    bridge: { enabled: false },
  });
  const endpoints = await sandbox.start();
  const port = (url: string | null) => Number(new URL(url!).port);
  return {
    sandbox,
    endpoints,
    c2sPort: port(endpoints.c2s),
    componentPort: port(endpoints.component),
    password: endpoints.password,
    async stop() {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type SlixEvent = { event: string; [k: string]: unknown };

/** A slixmpp process: its JSON events, and commands over stdin. */
export interface SlixProcess {
  proc: ChildProcessWithoutNullStreams;
  events: SlixEvent[];
  stderr: string[];
  /** Resolve with the first event (already seen or future) matching `pred`, consuming it. */
  next(pred: (e: SlixEvent) => boolean, timeoutMs?: number): Promise<SlixEvent>;
  /** Send a command and wait for its result event. */
  cmd(c: Record<string, unknown>, timeoutMs?: number): Promise<SlixEvent>;
  kill(): Promise<void>;
}

let seqCounter = 0;

export function spawnSlix(script: 'slix_client.py' | 'slix_component.py', args: string[], timeoutSec = 30): SlixProcess {
  const proc = spawn(PYTHON, [path.join(FIXTURES, script), ...args, '--timeout', String(timeoutSec)], { stdio: 'pipe' });
  const stderr: string[] = [];
  const inbox: Inbox<SlixEvent> = new Inbox(8000, (timeoutMs) => `${script} ${args.join(' ')}: no matching event within ${timeoutMs} ms; events ${JSON.stringify(inbox.items)}; stderr ${stderr.slice(-20).join('\n')}`);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let e: SlixEvent;
    try {
      e = JSON.parse(line) as SlixEvent;
    } catch {
      stderr.push(`(stdout) ${line}`);
      return;
    }
    inbox.push(e);
  });
  createInterface({ input: proc.stderr }).on('line', (line) => stderr.push(line));
  const next = (pred: (e: SlixEvent) => boolean, timeoutMs?: number): Promise<SlixEvent> => inbox.next(pred, timeoutMs);
  return {
    proc,
    events: inbox.items,
    stderr,
    next,
    async cmd(c, timeoutMs) {
      const seq = ++seqCounter;
      proc.stdin.write(JSON.stringify({ ...c, seq }) + '\n');
      return next((e) => e.event === 'result' && e.seq === seq, timeoutMs);
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface SlixClientOpts {
  priority?: number;
  noPresence?: boolean;
  sm?: boolean;
  /** SASL PLAIN (slixmpp needs unencrypted_plain on plain TCP) instead of its SCRAM-SHA-1 choice. */
  plain?: boolean;
}

/** A slixmpp ClientXMPP logged in to the sandbox; resolves on its `online` event. */
export async function slixClient(s: InteropSandbox, jid: string, opts: SlixClientOpts = {}): Promise<{ p: SlixProcess; online: SlixEvent }> {
  const args = ['--jid', jid, '--password', s.password, '--host', '127.0.0.1', '--port', String(s.c2sPort)];
  if (opts.priority !== undefined) args.push('--priority', String(opts.priority));
  if (opts.noPresence) args.push('--no-presence');
  if (opts.sm) args.push('--sm');
  if (opts.plain) args.push('--plain');
  const p = spawnSlix('slix_client.py', args);
  const online = await p.next((e) => e.event === 'online' || e.event === 'error');
  if (online.event !== 'online') throw new Error(`slixmpp ${jid} did not log in: ${JSON.stringify(online)} ${p.stderr.join('\n')}`);
  return { p, online };
}

/** A started @xmpp/client with an inbox (test/helpers/xmpp-client.ts). */
export type JsClient = XmppTestClient;

export async function jsClient(s: InteropSandbox, username: string, resource: string): Promise<JsClient> {
  return startXmppClient({ service: `xmpp://127.0.0.1:${s.c2sPort}`, domain: s.endpoints.domain, username, password: s.password, resource, timeoutMs: 8000, presence: xml('presence', {}) });
}

export const isBody = (body: string) => (s: Element) => s.is('message') && s.getChildText('body') === body;
export const isMessageEvent = (body: string) => (e: SlixEvent) => e.event === 'message' && e.body === body;
