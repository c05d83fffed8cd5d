// Incremental RESP request parser (redis.io "RESP protocol spec", "Sending commands to a
// Redis server"; Redis networking.c processMultibulkBuffer / processInlineBuffer).
//
// Requests are flat arrays of bulk strings, or inline lines for telnet users. Arguments are
// decoded as latin1 so every byte maps to one UTF-16 unit: the queue stays binary-safe and
// reply lengths are simply string lengths. Large bulk bodies are gathered chunk by chunk
// and concatenated once, so a 10 MB value costs O(n), not O(n²).

/** A protocol violation: reply `-ERR <message>` and close, as Redis does. */
export class ProtocolError extends Error {}

export interface ParserLimits {
  /** Bytes buffered for one client (unparsed input + arguments of the command being read). */
  maxQueryBuffer: number;
  /** Largest bulk string accepted (Redis: proto-max-bulk-len). */
  maxBulkLen: number;
  /** Longest inline request / count line without a newline (Redis PROTO_INLINE_MAX_SIZE). */
  maxInline: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxQueryBuffer: 64 * 1024 * 1024,
  maxBulkLen: 64 * 1024 * 1024,
  maxInline: 64 * 1024,
};

const CR = 13;
const LF = 10;
const BIG_BULK = 32 * 1024;

/** Redis string2ll: optional '-', no leading zeros, no spaces. NaN when invalid. */
export function parseStrictInt(buf: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 20) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i >= end) return NaN;
  }
  if (buf[i] === 48) return end - i === 1 && !neg ? 0 : NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** Redis sdssplitargs: whitespace-separated, "double" (with escapes) and 'single' quotes. */
export function splitInlineArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f';
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      const ch = line[i];
      if (inDq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (ch === '\\' && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (ch === '"') {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          inDq = false;
          i++;
          break;
        } else cur += ch;
      } else if (inSq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (ch === "'") {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          inSq = false;
          i++;
          break;
        } else cur += ch;
      } else {
        if (ch === undefined || isSpace(ch)) break;
        if (ch === '"') inDq = true;
        else if (ch === "'") inSq = true;
        else cur += ch;
      }
      i++;
    }
    out.push(cur);
  }
}

export class RequestParser {
  private buf: Buffer | null = null;
  /** Waiting for a large bulk body: chunks gathered until `need` bytes are there. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private need = 0;
  private argsLeft = 0;
  private args: string[] = [];
  /** Wire bytes of the arguments read so far ($len line, body, CRLF): bounds `args`, empty ones too. */
  private argBytes = 0;
  /** Length of the current bulk's `$len\r\n` line. */
  private argHead = 0;
  private bulkLen = -1;
  /** Absolute offsets, for the AOF loader: bytes consumed, and where the pending command began. */
  private consumed = 0;
  private cmdStart = 0;

  constructor(private readonly limits: ParserLimits = DEFAULT_LIMITS) {}

  /** True when bytes of an incomplete request are held. */
  get hasPartial(): boolean {
    return this.argsLeft > 0 || this.need > 0 || (this.buf !== null && this.buf.length > 0);
  }

  /** Absolute offset where the first incomplete request starts (= end of the last complete one). */
  get completeOffset(): number {
    return this.argsLeft > 0 || this.need > 0 ? this.cmdStart : this.consumed;
  }

  /** Parse what is complete; each request is pushed to `out`. Throws ProtocolError. */
  feed(chunk: Buffer, out: string[][]): void {
    let buf: Buffer;
    if (this.need > 0) {
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      if (this.chunkBytes < this.need) {
        if (this.chunkBytes + this.argBytes > this.limits.maxQueryBuffer) throw new ProtocolError('Protocol error: query buffer limit exceeded');
        return;
      }
      buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes);
      this.chunks = [];
      this.chunkBytes = 0;
      this.need = 0;
    } else if (this.buf) {
      buf = Buffer.concat([this.buf, chunk]);
    } else buf = chunk;
    this.buf = null;
    const base = this.consumed;
    let pos = 0;
    const len = buf.length;
    const L = this.limits;
    for (;;) {
      if (this.argsLeft === 0) {
        if (pos >= len) break;
        this.cmdStart = base + pos;
        if (buf[pos] === 42 /* '*' */) {
          const cr = buf.indexOf(CR, pos);
          if (cr < 0 || cr + 1 >= len) {
            if (len - pos > L.maxInline) throw new ProtocolError('Protocol error: too big mbulk count string');
            break;
          }
          // The same bound once the line is complete, so the outcome does not depend on the chunking.
          if (cr - pos >= L.maxInline) throw new ProtocolError('Protocol error: too big mbulk count string');
          const n = parseStrictInt(buf, pos + 1, cr);
          if (Number.isNaN(n) || n > 2147483647) throw new ProtocolError('Protocol error: invalid multibulk length');
          pos = cr + 2;
          if (n <= 0) continue;
          this.argsLeft = n;
          this.args = [];
          this.argBytes = 0;
          continue;
        }
        const lf = buf.indexOf(LF, pos);
        if (lf < 0) {
          if (len - pos > L.maxInline) throw new ProtocolError('Protocol error: too big inline request');
          break;
        }
        if (lf - pos > L.maxInline) throw new ProtocolError('Protocol error: too big inline request');
        const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        const argv = splitInlineArgs(buf.toString('latin1', pos, end));
        if (argv === null) throw new ProtocolError('Protocol error: unbalanced quotes in request');
        pos = lf + 1;
        if (argv.length > 0) out.push(argv);
        continue;
      }
      if (this.bulkLen < 0) {
        if (pos >= len) break;
        if (buf[pos] !== 36 /* '$' */) {
          throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[pos]!)}'`);
        }
        const cr = buf.indexOf(CR, pos);
        if (cr < 0 || cr + 1 >= len) {
          if (len - pos > L.maxInline) throw new ProtocolError('Protocol error: too big bulk count string');
          break;
        }
        if (cr - pos >= L.maxInline) throw new ProtocolError('Protocol error: too big bulk count string');
        const n = parseStrictInt(buf, pos + 1, cr);
        if (Number.isNaN(n) || n < 0 || n > L.maxBulkLen) throw new ProtocolError('Protocol error: invalid bulk length');
        this.argHead = cr + 2 - pos;
        if (this.argBytes + this.argHead + n + 2 > L.maxQueryBuffer) throw new ProtocolError('Protocol error: query buffer limit exceeded');
        pos = cr + 2;
        this.bulkLen = n;
      }
      const bl = this.bulkLen;
      if (len - pos < bl + 2) {
        if (bl >= BIG_BULK) {
          // Gather the body without re-concatenating on every chunk.
          const rest = buf.subarray(pos);
          this.chunks = [rest];
          this.chunkBytes = rest.length;
          this.need = bl + 2;
          this.consumed = base + pos;
          return;
        }
        break;
      }
      this.args.push(buf.toString('latin1', pos, pos + bl));
      this.argBytes += this.argHead + bl + 2;
      pos += bl + 2;
      this.bulkLen = -1;
      if (--this.argsLeft === 0) {
        out.push(this.args);
        this.args = [];
        this.argBytes = 0;
      }
    }
    this.consumed = base + pos;
    if (pos < len) {
      const rest = buf.subarray(pos);
      if (rest.length + this.argBytes > L.maxQueryBuffer) throw new ProtocolError('Protocol error: query buffer limit exceeded');
      // Copy small tails so a big chunk is not kept alive by a few bytes.
      this.buf = rest.length < 4096 ? Buffer.from(rest) : rest;
    }
  }
}
