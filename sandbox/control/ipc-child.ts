// The child's end of the control API over Node IPC: `dist/sandbox.js --ipc` (the extension
// forks it with ELECTRON_RUN_AS_NODE=1; ipc-client.ts is the parent's end) reads its config
// overrides from env IPC_CONFIG_ENV, starts the sandbox, answers calls and forwards events.
// Wire format: IpcRequest / IpcMessage in api.ts.

import {
  type ControlError,
  fatalOf,
  IPC_CONFIG_ENV,
  type ConfigOverrides,
  type ControlEvent,
  type IpcMessage,
  type IpcRequest,
} from './api';
import type { Sandbox } from '../index';
import type { TraceEvent } from '../trace/events';
import { TraceThrottle } from '../trace/throttle';

/** Parses the overrides the parent put in the environment; a bad value is a fatal, clear error. */
export function readIpcConfig(env: NodeJS.ProcessEnv = process.env): ConfigOverrides {
  const raw = env[IPC_CONFIG_ENV];
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${IPC_CONFIG_ENV} must hold a JSON object`);
  return parsed as ConfigOverrides;
}

/**
 * Runs in the child: starts the sandbox, answers calls, forwards events to the parent, and
 * exits when told to stop or when the parent goes away (never outlive the extension host).
 * A failed start is one 'fatal' message (fatalOf: a PortInUseError keeps its port and
 * setting), then exit code 1.
 */
export async function runIpcChild(createSandbox: (o: ConfigOverrides) => Sandbox): Promise<void> {
  const send = (m: IpcMessage) => {
    if (process.connected) process.send!(m);
  };
  // The parent reads stderr as log lines: `<ISO time> <level> <message>`.
  const logLine = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  let sandbox: Sandbox;
  try {
    sandbox = createSandbox(readIpcConfig());
    sandbox.logs.addSink(logLine);
    await sandbox.start();
  } catch (err) {
    const fatal = fatalOf(err);
    logLine('error', fatal.message);
    send(fatal);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
    process.disconnect?.();
    return;
  }

  const forward = createIpcEventSender((m, done) => (process.connected ? process.send!(m, undefined, undefined, done) : (done(), false)));
  let unsubscribe: (() => void) | null = null;
  const exitAfterStop = async () => {
    unsubscribe?.();
    await sandbox.stop().catch(() => undefined);
    process.exit(0);
  };

  process.on('message', async (raw: unknown) => {
    const req = raw as IpcRequest;
    if (!req || typeof req !== 'object') return;
    if (req.kind === 'subscribe') {
      unsubscribe?.();
      unsubscribe = sandbox.control.onEvent(forward, { trace: req.trace === true });
      return;
    }
    if (req.kind === 'unsubscribe') {
      unsubscribe?.();
      unsubscribe = null;
      return;
    }
    if (req.kind !== 'call' || typeof req.id !== 'number') return;
    try {
      const result = await sandbox.control.call(req.method, req.params as never);
      send({ kind: 'result', id: req.id, result });
      if (req.method === 'stop') await exitAfterStop();
    } catch (err) {
      const e = err as ControlError;
      send({ kind: 'error', id: req.id, code: e.code ?? 'internal', message: e.message ?? String(err) });
    }
  });
  process.on('disconnect', () => void exitAfterStop());
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void exitAfterStop());
  send({ kind: 'ready', status: sandbox.status() });
}

/**
 * Sends control events to the parent without letting a trace flood swamp it: trace batches
 * pass a TraceThrottle (whole packets over budget are left out and counted in `dropped`), and
 * while the IPC channel is backed up they wait in a bounded buffer instead of piling up in
 * Node's send queue. Other events (state, sessions, logs) always go at once.
 */
export function createIpcEventSender(
  sendRaw: (m: IpcMessage, done: () => void) => unknown,
  opts: { eventsPerSecond?: number; maxInFlight?: number; maxPending?: number } = {},
): (event: ControlEvent) => void {
  const throttle = new TraceThrottle(opts.eventsPerSecond ?? 20_000);
  const maxInFlight = opts.maxInFlight ?? 4;
  const maxPending = opts.maxPending ?? 50_000;
  let inFlight = 0;
  let pending: TraceEvent[] = [];
  let dropped = 0;
  const send = (event: ControlEvent) => {
    inFlight++;
    let settled = false;
    sendRaw({ kind: 'event', event }, () => {
      if (settled) return;
      settled = true;
      inFlight--;
      flush();
    });
  };
  const flush = () => {
    if (inFlight >= maxInFlight || (pending.length === 0 && dropped === 0)) return;
    const events = pending;
    pending = [];
    const event: ControlEvent = { type: 'trace', events };
    if (dropped) event.dropped = dropped;
    dropped = 0;
    send(event);
  };
  return (event) => {
    if (event.type !== 'trace') return send(event);
    const r = throttle.filter(event.events);
    dropped += r.droppedPackets + (event.dropped ?? 0);
    for (const e of r.events) pending.push(e);
    if (pending.length > maxPending) {
      // The parent has not read for a long while: give up on this backlog, say how much.
      dropped += new Set(pending.map((e) => e.packetId)).size;
      pending = [];
    }
    flush();
  };
}
