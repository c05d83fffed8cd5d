// Append-only file (redis.io "Redis persistence"; docs/interop.md §5.6).
// - Every effective write is appended as a RESP array, in the database it applies to
//   (a SELECT is written when that changes). Blocking pops are logged as LPOP/RPOP/LMOVE.
// - appendfsync always: the tick's writes are written and fdatasync'ed before any reply of
//   that tick leaves (group commit, Engine.flush). everysec: written each tick, fdatasync
//   once a second off the hot path. no: the OS decides.
// - Start: the log is replayed; an incomplete last command (a crash mid-write) is cut off
//   and logged, like Redis's aof-load-truncated yes. Garbage in the middle refuses to load.
// - Rewrite (BGREWRITEAOF, or when the log is twice its size after the last rewrite and
//   over a minimum): the live data is dumped to a temp file, fsync'ed, renamed over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppendFsync } from '../config';
import type { Logger } from '../log';
import type { Engine } from './engine';
import { ProtocolError, RequestParser } from './resp/parser';
import { isList } from './store/db';

const REWRITE_BATCH = 64;

export function encodeCommand(argv: string[]): string {
  let s = '*' + argv.length + '\r\n';
  for (const a of argv) s += '$' + a.length + '\r\n' + a + '\r\n';
  return s;
}

export interface AofOptions {
  dir: string;
  fsync: AppendFsync;
  log: Logger;
  /** Automatic rewrite only above this size (Redis auto-aof-rewrite-min-size: 64 MB). */
  rewriteMinBytes?: number;
}

export class Aof {
  readonly file: string;
  private fd = -1;
  private pending = '';
  private unsynced = false;
  private lastDb = -1;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing = false;
  private rewriteScheduled = false;
  size = 0;
  baseSize = 0;
  private readonly minRewrite: number;

  constructor(private readonly opts: AofOptions) {
    this.file = path.join(opts.dir, 'appendonly.aof');
    this.minRewrite = opts.rewriteMinBytes ?? 64 * 1024 * 1024;
  }

  get fsyncPolicy(): AppendFsync {
    return this.opts.fsync;
  }

  /** Replay the log into the engine, truncating an incomplete tail. */
  load(engine: Engine): number {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    let data: Buffer;
    try {
      data = fs.readFileSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      data = Buffer.alloc(0);
    }
    const parser = new RequestParser({ maxQueryBuffer: Infinity, maxBulkLen: 2 ** 40, maxInline: Infinity });
    const cmds: string[][] = [];
    try {
      parser.feed(data, cmds);
    } catch (e) {
      if (e instanceof ProtocolError) {
        throw new Error(`AOF ${this.file} is corrupt (${e.message}) after ${parser.completeOffset} bytes; move it away or fix it to start the queue`);
      }
      throw e;
    }
    let validBytes = data.length;
    if (parser.hasPartial) {
      validBytes = parser.completeOffset;
      this.opts.log.warn(`AOF ${this.file}: incomplete command at the end (${data.length - validBytes} bytes after offset ${validBytes}); truncating it`);
      fs.truncateSync(this.file, validBytes);
    }
    const replayer = engine.newClient(null);
    replayer.authenticated = true;
    engine.loading = true;
    try {
      for (const argv of cmds) {
        engine.execute(replayer, argv, false);
        if (replayer.out.startsWith('-')) this.opts.log.warn(`AOF replay: ${argv[0]} → ${replayer.out.trim()}`);
        replayer.out = '';
      }
    } finally {
      engine.loading = false;
    }
    this.fd = fs.openSync(this.file, 'a');
    this.size = validBytes;
    this.baseSize = validBytes;
    this.lastDb = replayer.db;
    if (this.opts.fsync === 'everysec') {
      this.syncTimer = setInterval(() => this.backgroundSync(), 1000);
      this.syncTimer.unref();
    }
    return cmds.length;
  }

  append(db: number, argv: string[]): void {
    if (db !== this.lastDb) {
      this.pending += encodeCommand(['SELECT', String(db)]);
      this.lastDb = db;
    }
    this.pending += encodeCommand(argv);
    this.armWriteTimer();
  }

  /**
   * Called once per tick before replies go out. 'always': write and fdatasync now (group
   * commit). everysec/no: the writes of a few ticks are batched (append() arms a ≤ 20 ms
   * timer) into one write(2) — within everysec's promise of losing at most about a second.
   */
  flush(): void {
    if (this.pending.length === 0 || this.fd < 0) return;
    if (this.opts.fsync === 'always' || this.pending.length >= 1 << 20) this.writeNow();
  }

  private armWriteTimer(): void {
    if (this.writeTimer || this.opts.fsync === 'always') return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      try {
        this.writeNow();
      } catch (e) {
        this.opts.log.error('AOF write failed', e);
      }
    }, 20);
    this.writeTimer.unref();
  }

  private writeTimer: NodeJS.Timeout | null = null;

  /** Write everything pending (and fdatasync with 'always'). */
  writeNow(): void {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    if (this.pending.length === 0 || this.fd < 0) return;
    const buf = Buffer.from(this.pending, 'latin1');
    this.pending = '';
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
    if (this.opts.fsync === 'always') fs.fdatasyncSync(this.fd);
    else this.unsynced = true;
    if (this.size > this.minRewrite && this.size > this.baseSize * 2) this.scheduleRewrite();
  }

  private backgroundSync(): void {
    if (!this.unsynced || this.syncing || this.fd < 0) return;
    this.unsynced = false;
    this.syncing = true;
    const fd = this.fd;
    fs.fdatasync(fd, (err) => {
      this.syncing = false;
      if (err && fd === this.fd) this.opts.log.error('AOF fdatasync failed', err);
    });
  }

  private engineRef: Engine | null = null;
  attach(engine: Engine): void {
    this.engineRef = engine;
  }

  scheduleRewrite(): void {
    if (this.rewriteScheduled || !this.engineRef) return;
    this.rewriteScheduled = true;
    setImmediate(() => {
      this.rewriteScheduled = false;
      try {
        this.rewrite(this.engineRef!);
      } catch (e) {
        this.opts.log.error('AOF rewrite failed', e);
      }
    });
  }

  /** Dump the live data to a temp file, fsync it, rename it over the log. */
  rewrite(engine: Engine): void {
    if (this.fd < 0) return;
    this.writeNow();
    const tmp = this.file + '.rewrite.tmp';
    const fd = fs.openSync(tmp, 'w');
    let written = 0;
    let chunk = '';
    const out = (s: string) => {
      chunk += s;
      if (chunk.length >= 1 << 20) {
        written += fs.writeSync(fd, Buffer.from(chunk, 'latin1'));
        chunk = '';
      }
    };
    let lastDb = 0;
    for (const db of engine.dbs) {
      const keys = db.keys();
      if (keys.length === 0) continue;
      if (db.index !== lastDb) out(encodeCommand(['SELECT', String(db.index)]));
      lastDb = db.index;
      for (const key of keys) {
        const v = db.data.get(key)!;
        if (isList(v)) {
          const items = v.toArray();
          for (let i = 0; i < items.length; i += REWRITE_BATCH) out(encodeCommand(['RPUSH', key, ...items.slice(i, i + REWRITE_BATCH)]));
        } else out(encodeCommand(['SET', key, v]));
        const at = db.expires.get(key);
        if (at !== undefined) out(encodeCommand(['PEXPIREAT', key, String(at)]));
      }
    }
    if (chunk) written += fs.writeSync(fd, Buffer.from(chunk, 'latin1'));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
    this.syncDir();
    const before = this.size;
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    this.size = written;
    this.baseSize = written;
    this.lastDb = lastDb;
    this.opts.log.info(`AOF rewritten: ${before} → ${written} bytes`);
  }

  private syncDir(): void {
    try {
      const d = fs.openSync(this.opts.dir, 'r');
      fs.fsyncSync(d);
      fs.closeSync(d);
    } catch {
      // not supported everywhere; the rename is still atomic
    }
  }

  /** Empty the log (control API data.reset). */
  truncate(): void {
    this.pending = '';
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    if (this.fd < 0) return;
    fs.ftruncateSync(this.fd);
    fs.fdatasyncSync(this.fd);
    this.size = 0;
    this.baseSize = 0;
    this.lastDb = 0;
  }

  /** Final write and fsync (clean stop). */
  close(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
    if (this.fd < 0) return;
    this.writeNow();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}
