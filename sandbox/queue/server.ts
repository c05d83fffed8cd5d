// The Redis-compatible queue server: TCP listener + engine + AOF, and the control-API
// surface the sandbox composes (keys/peek/push/purge/reset, 'keys-changed').
import * as net from 'node:net';
import * as path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { SandboxConfig } from '../config';
import type { QueueKeyInfo } from '../control/api';
import { listen } from '../listen';
import type { Logger } from '../log';
import type { TraceBus } from '../trace/bus';
import { Aof } from './aof';
import { Engine, fromWire, toWire } from './engine';
import { globMatch } from './glob';
import type { ParserLimits } from './resp/parser';
import { isList } from './store/db';
import type { Deque } from './store/deque';

export interface QueueServer {
  /** Listen on config.host:config.queue.port (0 = a free port); a port in use rejects with PortInUseError ('queue.port'). */
  start(): Promise<{ port: number }>;
  /** Close every client, final AOF write + fsync. */
  stop(): Promise<void>;
  keys(pattern?: string): QueueKeyInfo[];
  peek(key: string, start?: number, stop?: number): string[];
  /** Like LPUSH/RPUSH (wakes blocked clients, logged to the AOF). */
  push(key: string, values: string[], side?: 'left' | 'right'): number;
  purge(key: string): boolean;
  /** Like LPOP/RPOP: the item taken, or null when the list is empty or missing. */
  pop(key: string, side?: 'left' | 'right'): string | null;
  /** One key's type and length (type 'none', length 0 when it does not exist). */
  info(key: string): QueueKeyInfo;
  /** FLUSHALL + truncate the AOF. */
  reset(): Promise<void>;
  /** 'keys-changed' (debounced, at most 10/s). */
  readonly events: EventEmitter;
}

export interface QueueServerOptions {
  config: SandboxConfig;
  trace: TraceBus;
  log: Logger;
  /** Tests: smaller protocol limits. */
  limits?: Partial<ParserLimits>;
  /** Tests: automatic AOF rewrite threshold (default 64 MB). */
  aofRewriteMinBytes?: number;
}

export function createQueueServer(opts: QueueServerOptions): QueueServer {
  const { config, log } = opts;
  const engine = new Engine(config, opts.trace, log, opts.limits);
  let server: net.Server | null = null;
  let aof: Aof | null = null;
  const sockets = new Set<net.Socket>();

  function onConnection(socket: net.Socket): void {
    socket.setNoDelay(true);
    const c = engine.newClient(socket);
    sockets.add(socket);
    log.debug(`client ${c.id} connected from ${c.addr}`);
    socket.on('data', (chunk: Buffer) => {
      try {
        engine.onData(c, chunk);
      } catch (e) {
        // Never let one client's request take the server down.
        log.error(`client ${c.id}: unexpected failure; closing it`, e);
        socket.destroy();
        engine.onClose(c);
      }
    });
    socket.on('error', (e) => log.debug(`client ${c.id} socket error: ${e.message}`));
    socket.on('close', () => {
      sockets.delete(socket);
      engine.onClose(c);
      log.debug(`client ${c.id} disconnected`);
    });
  }

  /** Run a command as the server itself (control API), so it follows the same path. */
  function internal(argv: string[]): string {
    const c = engine.newClient(null);
    c.authenticated = true;
    engine.execute(c, argv, false);
    return c.out;
  }

  return {
    events: engine.events,

    async start() {
      // start() after stop() (the sandbox restarts): the AOF is the truth, replay it into empty data.
      engine.flushAllData();
      aof = new Aof({ dir: path.join(config.dataDir, 'queue'), fsync: config.queue.appendfsync, log, rewriteMinBytes: opts.aofRewriteMinBytes });
      const n = aof.load(engine);
      aof.attach(engine);
      engine.aof = aof;
      engine.startTimers();
      if (n > 0) log.info(`AOF replayed: ${n} commands from ${aof.file}`);
      const srv = net.createServer(onConnection);
      server = srv;
      let port: number;
      try {
        port = await listen(srv, config.host, config.queue.port, 'queue.port');
      } catch (err) {
        server = null;
        aof?.close();
        aof = null;
        engine.aof = null;
        engine.closeAll();
        throw err;
      }
      srv.on('error', (e) => log.error('queue listener error', e));
      log.info(`queue listening on ${config.host}:${port} (appendfsync ${config.queue.appendfsync})`);
      return { port };
    },

    async stop() {
      const srv = server;
      server = null;
      engine.flush();
      engine.closeAll();
      for (const s of sockets) s.destroy();
      sockets.clear();
      aof?.close();
      aof = null;
      engine.aof = null;
      if (srv) await new Promise<void>((r) => srv.close(() => r()));
    },

    keys(pattern = '*') {
      const db = engine.dbs[0]!;
      const p = toWire(pattern);
      const out: QueueKeyInfo[] = [];
      for (const k of db.keys()) {
        if (!globMatch(p, k)) continue;
        const v = db.data.get(k)!;
        out.push({ key: fromWire(k), type: isList(v) ? 'list' : 'string', length: isList(v) ? v.length : Buffer.byteLength(v, 'latin1') });
      }
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    peek(key, start = 0, stop = -1) {
      const v = engine.dbs[0]!.get(toWire(key));
      if (v === undefined) return [];
      if (!isList(v)) return [fromWire(v)];
      const l = v as Deque;
      let a = start < 0 ? l.length + start : start;
      let b = stop < 0 ? l.length + stop : stop;
      a = Math.max(0, a);
      b = Math.min(l.length - 1, b);
      return a > b ? [] : l.slice(a, b + 1).map(fromWire);
    },

    push(key, values, side = 'left') {
      if (values.length === 0) return engine.dbs[0]!.get(toWire(key)) ? (engine.list(engine.dbs[0]!, toWire(key), false) as Deque).length : 0;
      const reply = internal([side === 'left' ? 'LPUSH' : 'RPUSH', toWire(key), ...values.map(toWire)]);
      if (reply.startsWith('-')) throw new Error(reply.slice(1).trim());
      engine.flush();
      return Number(reply.slice(1).trim());
    },

    purge(key) {
      const reply = internal(['DEL', toWire(key)]);
      engine.flush();
      return reply.trim() === ':1';
    },

    pop(key, side = 'left') {
      const reply = internal([side === 'left' ? 'LPOP' : 'RPOP', toWire(key)]);
      if (reply.startsWith('-')) throw new Error(reply.slice(1).trim());
      engine.flush();
      // RESP bulk string: $<len>\r\n<bytes>\r\n; $-1 (RESP2) or _ (RESP3) when nothing was popped.
      if (!reply.startsWith('$') || reply.startsWith('$-1')) return null;
      const body = reply.slice(reply.indexOf('\r\n') + 2, -2);
      return fromWire(body);
    },

    info(key) {
      const v = engine.dbs[0]!.get(toWire(key));
      if (v === undefined) return { key, type: 'none', length: 0 };
      return { key, type: isList(v) ? 'list' : 'string', length: isList(v) ? (v as Deque).length : Buffer.byteLength(v as string, 'latin1') };
    },

    async reset() {
      engine.flushAllData();
      engine.aof?.truncate();
      engine.keysChanged();
      engine.traceQueue('flush', '*');
    },
  };
}
