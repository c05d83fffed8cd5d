import { EventEmitter } from 'node:events';
import type { OutputBufferLimit, SandboxConfig } from '../config';
import type { Logger } from '../log';
import type { TraceBus } from '../trace/bus';
import type { QueueEvent } from '../trace/events';
import { Client } from './client';
import { COMMANDS } from './commands/index';
import type { CommandContext, CommandSpec } from './commands/types';
import { E } from './commands/types';
import { ProtocolError, type ParserLimits, DEFAULT_LIMITS } from './resp/parser';
import { Db, isList } from './store/db';
import { Deque } from './store/deque';
import type { Aof } from './aof';
import { Blocking } from './blocking';
import { PubSub } from './pubsub';

const NUM_DBS = 16;

interface Resolved {
  spec: CommandSpec;
  fullname: string;
}

/**
 * The command processor: databases, the one command table, blocking, pub/sub and the
 * reply/AOF flush per tick. Sockets live in server.ts; replaying the AOF uses the same path.
 */
export class Engine {
  readonly dbs: Db[] = Array.from({ length: NUM_DBS }, (_, i) => new Db(i));
  readonly clients = new Set<Client>();
  readonly blocking = new Blocking(this);
  readonly pubsub = new PubSub(this);
  readonly events = new EventEmitter();
  readonly table = new Map<string, CommandSpec>();
  readonly startedAt = Date.now();
  aof: Aof | null = null;
  /** True while the AOF replays: nothing is logged, traced or announced. */
  loading = false;
  /** Commands executed (INFO). */
  commandsProcessed = 0;
  /** Clients closed by client-output-buffer-limit (INFO stats, as Redis 7.2+ counts them). */
  outputLimitDisconnections = 0;
  /** When the cross-protocol warning was last logged (ms). */
  private lastSecurityLog = 0;
  /** Clients over their class's soft output limit: the once-a-second sweep re-checks them. */
  private readonly overSoftLimit = new Set<Client>();
  private nextClientId = 1;
  private readonly dirty = new Set<Client>();
  private flushScheduled = false;
  private readonly resumeQueue: Client[] = [];
  private resumeScheduled = false;
  private keysTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  readonly limits: ParserLimits;

  constructor(
    readonly config: SandboxConfig,
    readonly trace: TraceBus,
    readonly log: Logger,
    limits: Partial<ParserLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    for (const spec of COMMANDS) {
      if (this.table.has(spec.name)) throw new Error(`command ${spec.name} declared twice`);
      this.table.set(spec.name, spec);
    }
  }

  /** Active expiry: lazy expiry handles reads; this frees keys nobody reads. */
  startTimers(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      let n = 0;
      for (const db of this.dbs) n += db.sweep();
      if (n > 0) this.keysChanged();
      // A client over the soft limit that gets no more replies must still be closed when its
      // time is up (Redis checks in clientsCron as well as when a reply is added).
      for (const c of this.overSoftLimit) this.checkOutputLimit(c);
    }, 1000);
    this.sweepTimer.unref();
  }

  get requirepass(): string {
    return this.config.queue.requirepass;
  }

  newClient(socket: import('node:net').Socket | null): Client {
    const c = new Client(this.nextClientId++, socket, this.limits, this.requirepass === '');
    if (socket) this.clients.add(c);
    return c;
  }

  // ---- input ------------------------------------------------------------------------

  onData(c: Client, chunk: Buffer): void {
    if (c.closing || c.closed) return;
    let protoErr: ProtocolError | null = null;
    try {
      c.parser.feed(chunk, c.queue);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      protoErr = e;
    }
    this.runQueue(c);
    if (c.closed) return;
    if (!protoErr && c.queue.length > MAX_QUEUED_WHILE_BLOCKED) {
      protoErr = new ProtocolError(`Protocol error: more than ${MAX_QUEUED_WHILE_BLOCKED} commands sent while blocked`);
    }
    if (protoErr) {
      // Redis answers the commands before the bad frame, then the error, then closes.
      this.log.warn(`client ${c.id} (${c.addr}): ${protoErr.message}; closing`);
      c.queue = [];
      c.error('ERR ' + protoErr.message);
      c.closing = true;
    }
    // appendfsync always: replies wait for the tick's group commit. Otherwise answer now
    // (everysec may lose about a second of writes on a crash anyway), saving a tick of latency.
    if (this.aof?.fsyncPolicy === 'always' || this.dirty.has(c)) this.markDirty(c);
    else this.writeOut(c);
  }

  /** Run queued requests in order until the client blocks, quits or runs out. */
  runQueue(c: Client): void {
    const q = c.queue;
    let i = 0;
    while (i < q.length && c.blocked === null && !c.closing && !c.closed) {
      this.execute(c, q[i++]!, false);
      this.checkOutputLimit(c);
    }
    if (i >= q.length || c.closed) c.queue = [];
    else if (i > 0) c.queue = q.slice(i);
  }

  onClose(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.blocking.unblock(c);
    this.pubsub.dropClient(c);
    this.clients.delete(c);
    this.dirty.delete(c);
    this.overSoftLimit.delete(c);
  }

  /** Close a client now, dropping whatever replies it has not read (Redis freeClientAsync). */
  private disconnect(c: Client): void {
    c.out = '';
    c.queue = [];
    c.socket?.destroy();
    this.onClose(c);
  }

  // ---- cross-protocol scripting (Redis server.c processCommand, securityWarningCommand) ----

  /**
   * A browser tricked into posting to the queue's port sends `POST / HTTP/1.1` and `Host: …`
   * lines, which the inline protocol would read as commands, and its body's lines would run
   * (`LPUSH xmpp:outbox …` goes out over XMPP through the bridge). Redis ≥ 3.2.7 closes such a
   * connection at once, runs nothing more from it and sends nothing, not even the replies
   * already produced in the same read; so does the queue. The warning is Redis's, at most
   * once a minute like Redis's.
   */
  private crossProtocolAttack(c: Client): void {
    const now = Date.now();
    const msg = `Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis from ${c.addr}. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.`;
    if (now - this.lastSecurityLog > 60_000) {
      this.lastSecurityLog = now;
      this.log.warn(msg);
    } else this.log.debug(msg);
    this.disconnect(c);
  }

  // ---- client-output-buffer-limit (redis.io "Redis client handling", "Output buffer limits") ----

  /** The limit of c's class: pubsub while it has a subscription (Redis getClientType), else normal. */
  private outputLimit(c: Client): OutputBufferLimit {
    const l = this.config.queue.clientOutputBufferLimit;
    return c.channels.size + c.patterns.size > 0 ? l.pubsub : l.normal;
  }

  /** Reply bytes waiting for c: not yet written (c.out) plus what its socket still holds. Both are counters: O(1). */
  outputBytes(c: Client): number {
    return c.out.length + (c.socket?.writableLength ?? 0);
  }

  /**
   * Called after each reply or pub/sub message is added (as Redis's
   * closeClientOnOutputBufferLimitReached): closes c when it reached the hard limit, or has
   * been over the soft limit for more than the soft seconds. True when c was closed.
   */
  checkOutputLimit(c: Client): boolean {
    const s = c.socket;
    if (s === null || c.closed) return false;
    const limit = this.outputLimit(c);
    if (limit.hard === 0 && limit.soft === 0) {
      if (c.obufSoftSince !== 0) this.clearSoft(c);
      return false;
    }
    const bytes = c.out.length + s.writableLength;
    let reason: string | null = null;
    if (limit.hard > 0 && bytes >= limit.hard) reason = `reached the hard limit of ${limit.hard} bytes`;
    else if (limit.soft > 0 && bytes >= limit.soft) {
      const now = Date.now();
      if (c.obufSoftSince === 0) {
        c.obufSoftSince = now;
        this.overSoftLimit.add(c);
      } else if (now - c.obufSoftSince > limit.softSeconds * 1000) {
        reason = `stayed over the soft limit of ${limit.soft} bytes for ${now - c.obufSoftSince} ms (limit ${limit.softSeconds} s)`;
      }
    } else if (c.obufSoftSince !== 0) this.clearSoft(c);
    if (reason === null) return false;
    const cls = c.channels.size + c.patterns.size > 0 ? 'pubsub' : 'normal';
    this.outputLimitDisconnections++;
    this.log.warn(`client ${c.id} (${c.addr}, class ${cls}) closed for overcoming of output buffer limits: ${bytes} bytes queued, ${reason}`);
    this.disconnect(c);
    return true;
  }

  private clearSoft(c: Client): void {
    c.obufSoftSince = 0;
    this.overSoftLimit.delete(c);
  }

  // ---- dispatch (Redis server.c processCommand) ---------------------------------------

  private resolve(c: Client, argv: string[]): Resolved | null {
    const name = argv[0]!;
    const lname = name.toLowerCase();
    const spec = this.table.get(lname);
    if (!spec) {
      let args = '';
      for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argv[i]!.slice(0, 128 - args.length)}' `;
      c.error(`ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${args}`);
      return null;
    }
    if (spec.subcommands && argv.length >= 2) {
      const sname = argv[1]!.toLowerCase();
      const sub = spec.subcommands.find((s) => s.name === sname);
      if (!sub) {
        c.error(`ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${name.toUpperCase()} HELP.`);
        return null;
      }
      return { spec: sub, fullname: `${lname}|${sname}` };
    }
    return { spec, fullname: lname };
  }

  /** Execute one request for `c`; the reply goes to c.out. */
  execute(c: Client, argv: string[], inTransaction: boolean): void {
    // First of all, as in Redis: not even AUTH, MULTI or subscribed mode come before it.
    if (!inTransaction && c.socket !== null && isHttpLine(argv[0]!)) return this.crossProtocolAttack(c);
    const r = this.resolve(c, argv);
    if (!r) return this.queueError(c);
    const { spec, fullname } = r;
    if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
      c.error(`ERR wrong number of arguments for '${fullname}' command`);
      return this.queueError(c);
    }
    if (!c.authenticated && !hasFlag(spec, 'noauth')) {
      c.error(E.NOAUTH);
      return;
    }
    if (c.inSubscribedMode && !hasFlag(spec, 'subscribed')) {
      c.error(`ERR Can't execute '${fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
      return;
    }
    if (c.multi !== null && !inTransaction && !MULTI_CONTROL.has(fullname)) {
      c.multi.push(argv);
      c.simple('QUEUED');
      return;
    }
    const ctx: CommandContext = { engine: this, client: c, argv, db: this.dbs[c.db]!, inTransaction };
    this.commandsProcessed++;
    try {
      spec.handler!(ctx);
    } catch (e) {
      this.log.error(`command ${fullname} failed`, e);
      c.error('ERR internal error');
    }
    // Blocked clients are served after the command that fed their keys completes.
    if (!inTransaction && this.blocking.hasReady) this.blocking.serveReady();
  }

  /** MULTI: commands that are checked (unknown/arity) before queueing get EXECABORT. */
  queueError(c: Client): void {
    if (c.multi !== null) c.multiFailed = true;
  }

  // ---- effects --------------------------------------------------------------------------

  /** Record an effective write: AOF (in the db it applies to) and the keys-changed signal. */
  propagate(db: number, argv: string[]): void {
    if (this.loading) return;
    this.aof?.append(db, argv);
    this.keysChanged();
  }

  /** A QueueEvent on the trace bus, only when tracing is on (keys arrive latin1-coded). */
  traceQueue(op: QueueEvent['op'], key: string, extra: { length?: number; dest?: string; count?: number; client?: Client } = {}): void {
    if (this.loading || !this.trace.active) return;
    // Every key, absent ones undefined (the ring records them as absent): one object shape for
    // every queue event, read at monomorphic sites, and no spread copies per command.
    this.trace.emit({
      type: 'queue',
      op,
      key: fromWire(key),
      dest: extra.dest !== undefined ? fromWire(extra.dest) : undefined,
      length: extra.length,
      count: extra.count,
      client: extra.client ? extra.client.name || `#${extra.client.id}` : undefined,
    });
  }

  /** Debounced 'keys-changed' (at most 10 per second). */
  keysChanged(): void {
    if (this.loading || this.keysTimer) return;
    this.keysTimer = setTimeout(() => {
      this.keysTimer = null;
      this.events.emit('keys-changed');
    }, 100);
    this.keysTimer.unref();
  }

  /** The list at `key`, created when `create`; 'wrongtype' for another type. */
  list(db: Db, key: string, create: boolean): Deque | null | 'wrongtype' {
    const v = db.get(key);
    if (v === undefined) {
      if (!create) return null;
      const l = new Deque();
      db.set(key, l);
      return l;
    }
    return isList(v) ? v : 'wrongtype';
  }

  // ---- output ------------------------------------------------------------------------

  markDirty(c: Client): void {
    if (c.closed || c.socket === null) return;
    this.dirty.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resume a client's queued requests after it was unblocked. */
  resume(c: Client): void {
    this.resumeQueue.push(c);
    if (!this.resumeScheduled) {
      this.resumeScheduled = true;
      process.nextTick(() => {
        this.resumeScheduled = false;
        const list = this.resumeQueue.splice(0);
        for (const r of list) {
          if (!r.closed && r.blocked === null) this.runQueue(r);
          this.markDirty(r);
        }
      });
    }
  }

  /**
   * Once per tick: write (and with appendfsync always, fsync) the AOF, then the replies —
   * group commit, so no reply announces a write that is not on disk yet.
   */
  flush(): void {
    this.flushScheduled = false;
    try {
      this.aof?.flush();
    } catch (e) {
      this.log.error('AOF write failed', e);
    }
    for (const c of this.dirty) this.writeOut(c);
    this.dirty.clear();
  }

  /** Send a client's pending replies now. */
  private writeOut(c: Client): void {
    const s = c.socket;
    if (!s || c.closed) return;
    if (c.out.length > 0) {
      s.write(c.out, 'latin1');
      c.out = '';
      if (this.checkOutputLimit(c)) return;
    }
    if (c.closing) s.end();
  }

  /** Close every client (server stop). */
  closeAll(): void {
    for (const c of [...this.clients]) {
      c.socket?.destroy();
      this.onClose(c);
    }
    if (this.keysTimer) clearTimeout(this.keysTimer);
    this.keysTimer = null;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  flushAllData(): void {
    for (const db of this.dbs) db.clear();
  }
}

const flagCache = new WeakMap<CommandSpec, Set<string>>();
function hasFlag(spec: CommandSpec, flag: CommandSpec['flags'][number]): boolean {
  let set = flagCache.get(spec);
  if (!set) flagCache.set(spec, (set = new Set(spec.flags)));
  return set.has(flag);
}

/** `POST` or `Host:` as a command name: an HTTP request line or header (Redis processCommand). */
function isHttpLine(name: string): boolean {
  const n = name.length;
  if (n === 4) return name.toLowerCase() === 'post';
  if (n === 5) return name.toLowerCase() === 'host:';
  return false;
}

/** Requests parsed while a client is blocked are kept; beyond this many it is closed. */
const MAX_QUEUED_WHILE_BLOCKED = 100_000;

const MULTI_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'unwatch', 'quit', 'reset']);

/** Latin1-coded wire bytes → UTF-8 text for display (trace, control API). */
export function fromWire(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** UTF-8 text → latin1-coded wire bytes. */
export function toWire(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}
