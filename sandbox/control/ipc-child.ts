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
import { TraceThrottle } from '../trace/throttle';
import { encodeBatch } from '../trace/wire';

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
      unsubscribe = sandbox.control.onEvent(forward, { trace: req.trace === true || req.trace === 'summary' ? req.trace : false });
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
 * pass a TraceThrottle (whole packets over budget are left out and counted in `dropped`), go
 * out compact (trace/wire.ts), and while the IPC channel is backed up (the parent is busy) wait
 * encoded, in a bounded queue, instead of piling up in Node's send queue. Past the bound a new
 * batch is left out whole, and the throttle leaves out the rest of its packets too, so the
 * parent never gets half a packet. Other events (state, sessions, logs) always go at once.
 */
export function createIpcEventSender(
  sendRaw: (m: IpcMessage, done: () => void) => unknown,
  opts: { packetsPerSecond?: number; maxInFlight?: number; maxPending?: number } = {},
): (event: ControlEvent) => void {
  const throttle = new TraceThrottle(opts.packetsPerSecond);
  const maxInFlight = opts.maxInFlight ?? 4;
  // Events waiting, encoded (tens of bytes each): about 150,000 packets, 7 s of 20k msg/s.
  const maxPending = opts.maxPending ?? 600_000;
  let inFlight = 0;
  const queue: { m: IpcMessage & { kind: 'trace' }; events: number }[] = [];
  let queued = 0;
  let dropped = 0;
  const send = (m: IpcMessage) => {
    inFlight++;
    let settled = false;
    sendRaw(m, () => {
      if (settled) return;
      settled = true;
      inFlight--;
      flush();
    });
  };
  const flush = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const next = queue.shift()!;
      queued -= next.events;
      if (dropped) next.m.dropped = (next.m.dropped ?? 0) + dropped;
      dropped = 0;
      send(next.m);
    }
    if (inFlight < maxInFlight && dropped) {
      // Only a count to tell: an empty batch carries it.
      send({ kind: 'trace', batch: encodeBatch([]), dropped });
      dropped = 0;
    }
  };
  return (event) => {
    if (event.type !== 'trace') return send({ kind: 'event', event });
    const r = throttle.filter(event.events);
    dropped += r.droppedPackets + (event.dropped ?? 0);
    if (r.events.length === 0) return flush();
    if (queued + r.events.length > maxPending) {
      // The parent has not read for a long while: leave this batch's packets out, all of them.
      const ids = new Set<string>();
      for (const e of r.events) if (e.type === 'arrival') ids.add(e.packetId);
      throttle.leaveOut(r.events);
      dropped += ids.size;
      return flush();
    }
    queue.push({ m: { kind: 'trace', batch: encodeBatch(r.events) }, events: r.events.length });
    queued += r.events.length;
    flush();
  };
}
