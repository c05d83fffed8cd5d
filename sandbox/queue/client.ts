import type { Socket } from 'node:net';
import { RequestParser, type ParserLimits } from './resp/parser';

/** What a blocked client waits for (BLPOP/BRPOP/BLMOVE, redis.io BLPOP "Blocking behavior"). */
export interface BlockState {
  /** Keys in the order given (the first non-empty one wins). */
  keys: string[];
  db: number;
  /** Which end to pop from. */
  from: 'left' | 'right';
  /** BLMOVE/BRPOPLPUSH: where the element goes and on which side. */
  dest?: string;
  to?: 'left' | 'right';
  timer: NodeJS.Timeout | null;
}

const CRLF = '\r\n';

/**
 * One connection's state and its reply encoder (RESP2 and RESP3, redis.io "RESP protocol
 * spec"). Replies are appended to `out` (a latin1 string) and written once per tick.
 */
export class Client {
  proto: 2 | 3 = 2;
  db = 0;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  out = '';
  /** Requests parsed but not run yet (pipelining, or waiting while blocked). */
  queue: string[][] = [];
  blocked: BlockState | null = null;
  /** Inside MULTI: the queued requests; multiFailed when one was rejected (EXECABORT). */
  multi: string[][] | null = null;
  multiFailed = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Reply, then close (QUIT, protocol error). */
  closing = false;
  closed = false;
  /** When its replies went over its class's soft output limit (ms), 0 when under (Engine.checkOutputLimit). */
  obufSoftSince = 0;
  readonly parser: RequestParser;
  readonly createdAt = Date.now();

  constructor(
    readonly id: number,
    readonly socket: Socket | null,
    limits: ParserLimits,
    authenticated: boolean,
  ) {
    this.parser = new RequestParser(limits);
    this.authenticated = authenticated;
  }

  get addr(): string {
    return this.socket ? `${this.socket.remoteAddress}:${this.socket.remotePort}` : 'internal';
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** RESP2 "subscribed mode" restricts commands; RESP3 does not (push frames). */
  get inSubscribedMode(): boolean {
    return this.proto === 2 && this.subscriptionCount > 0;
  }

  simple(s: string): void {
    this.out += '+' + s + CRLF;
  }
  /** `msg` starts with the error code (ERR, WRONGTYPE, NOAUTH…). CR/LF become spaces, as Redis does. */
  error(msg: string): void {
    this.out += '-' + (/[\r\n]/.test(msg) ? msg.replace(/[\r\n]/g, ' ') : msg) + CRLF;
  }
  int(n: number): void {
    this.out += ':' + n + CRLF;
  }
  bulk(s: string): void {
    this.out += '$' + s.length + CRLF + s + CRLF;
  }
  nullBulk(): void {
    this.out += this.proto === 3 ? '_\r\n' : '$-1\r\n';
  }
  nullArray(): void {
    this.out += this.proto === 3 ? '_\r\n' : '*-1\r\n';
  }
  arrayLen(n: number): void {
    this.out += '*' + n + CRLF;
  }
  /** RESP3 map; a flat array of 2n elements in RESP2. */
  mapLen(n: number): void {
    this.out += this.proto === 3 ? '%' + n + CRLF : '*' + 2 * n + CRLF;
  }
  /** RESP3 set; an array in RESP2. */
  setLen(n: number): void {
    this.out += this.proto === 3 ? '~' + n + CRLF : '*' + n + CRLF;
  }
  /** RESP3 out-of-band push (pub/sub); an array in RESP2. */
  pushLen(n: number): void {
    this.out += this.proto === 3 ? '>' + n + CRLF : '*' + n + CRLF;
  }
  bulkArray(items: string[]): void {
    let s = '*' + items.length + CRLF;
    for (const it of items) s += '$' + it.length + CRLF + it + CRLF;
    this.out += s;
  }
  /** Bulk or null bulk. */
  bulkOrNull(s: string | undefined | null): void {
    if (s === undefined || s === null) this.nullBulk();
    else this.bulk(s);
  }
  /** RESP3 double (`,1.5`); a bulk string in RESP2. */
  double(n: number): void {
    if (this.proto === 3) this.out += ',' + n + CRLF;
    else this.bulk(String(n));
  }
}
