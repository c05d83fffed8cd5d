// The byte/message pipe under a stream: a TCP socket (RFC 6120) or a WebSocket (RFC 7395).
//
// Writes go to a queue of our own, not straight into the socket: the socket is handed at most
// SINK_CHUNK bytes at a time, the rest waits here. So what was "written to the socket" (taken by
// the OS) is known per element (the optional `done` receipt), the backlog a slow reader causes
// can be measured and paused on (flow control: C2sSession.whenWritable), and, past the send
// limit, dropped, so that the <stream:error/> written next is not stuck behind it (RFC 6120
// §4.9.3.17). A burst of elements in one event-loop tick still goes out in one syscall: TCP joins
// them into one string; a WebSocket sends one message per element (RFC 7395 §3.3.3) with the
// socket corked around the batch.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** `written` true: the bytes were handed to the OS; false: dropped unsent (connection closed or send limit). */
export type WriteDone = (written: boolean) => void;

export interface Wire {
  readonly transport: 'tcp' | 'websocket';
  readonly remote: string;
  readonly closed: boolean;
  /** write() accepts: the socket is open and the stream is not closing. */
  readonly open: boolean;
  /** The send limit: unsent bytes past which onOverflow fires (config xmpp.maxOutboundBytes). */
  outboundLimit: number;
  /** Bytes accepted by write() and not yet handed to the OS (queued here or in the socket). */
  readonly backlog: number;
  /**
   * One complete element, header or close tag. `done` (optional) says whether it reached the OS;
   * it is called exactly once, never from inside write(). Once closed or ending: done(false).
   */
  write(s: string, done?: WriteDone): void;
  /**
   * Flush, then close gracefully; force-close once the peer has taken nothing for `graceMs` (a
   * peer that still reads, however slowly, gets what was queued: the stream error above all).
   */
  end(graceMs?: number): void;
  destroy(): void;
  onData(fn: (data: Buffer | string) => void): void;
  onClose(fn: () => void): void;
  /**
   * Called once when the peer stops reading and more than `outboundLimit` bytes pile up unsent.
   * The queued backlog is dropped first (its receipts answer false), so what the callback writes
   * (the stream error, the close tag) is next on the wire after what the socket already holds.
   */
  onOverflow(fn: () => void): void;
  /** Called each time queued bytes were handed to the OS (the backlog went down). */
  onDrain(fn: () => void): void;
}

/**
 * How long a closing stream waits for the peer to take more bytes before it is destroyed. The
 * OS wakes a writer only once a good part of its send buffer is free (megabytes on loopback),
 * so a reader at about 1 MB/s shows progress every second or two. What the OS already holds
 * still reaches the peer after the destroy (the kernel closes gracefully).
 */
const GRACE_MS = 5000;
/**
 * The default send limit (config xmpp.maxOutboundBytes sets the real one). A peer that does not
 * read must not make the sandbox buffer without bound (and run out of memory for everyone).
 * With XEP-0198 the unacknowledged stanzas go back to the session manager (offline storage).
 */
export const OUTBOUND_LIMIT = 16 * 1024 * 1024;
/**
 * How much the socket itself may hold (beyond the OS's buffers): what is handed to it can no
 * longer be dropped in favour of a stream error, so it is kept small.
 */
const SINK_CHUNK = 64 * 1024;

/** The queue, the receipts and the limits; subclasses move batches into their socket. */
abstract class QueuedWire implements Wire {
  abstract readonly transport: 'tcp' | 'websocket';
  abstract readonly remote: string;
  closed = false;
  outboundLimit = OUTBOUND_LIMIT;
  protected ending = false;
  private ended = false;
  // The queue: parallel arrays from `head` on (no allocation per element).
  private texts: string[] = [];
  private sizes: number[] = [];
  private dones: (WriteDone | undefined)[] = [];
  private head = 0;
  private queued = 0;
  private scheduled = false;
  private closeFns: (() => void)[] = [];
  private overflowFn: (() => void) | null = null;
  private drainFn: (() => void) | null = null;
  /** When the OS last took bytes (end()'s grace runs from there). */
  private lastProgress = 0;

  /** The socket is open for writing. */
  protected abstract sinkOpen(): boolean;
  /** The socket was destroyed (a write callback after that did not necessarily reach the OS). */
  protected abstract sinkDestroyed(): boolean;
  /** Bytes the socket holds that the OS has not taken yet. */
  protected abstract sinkBuffered(): number;
  /** Hand a batch to the socket; `cb` once it was written (or failed). */
  protected abstract sinkWrite(texts: string[], cb: (err?: Error | null) => void): void;
  /** Close gracefully (everything queued was handed over). */
  protected abstract sinkEnd(): void;
  protected abstract sinkDestroy(): void;

  get backlog(): number {
    return this.queued + (this.sinkDestroyed() ? 0 : this.sinkBuffered());
  }

  get open(): boolean {
    return !this.closed && !this.ending && this.sinkOpen() && !this.sinkDestroyed();
  }

  onClose(fn: () => void): void {
    this.closeFns.push(fn);
  }

  onOverflow(fn: () => void): void {
    this.overflowFn = fn;
  }

  onDrain(fn: () => void): void {
    this.drainFn = fn;
  }

  abstract onData(fn: (data: Buffer | string) => void): void;

  write(s: string, done?: WriteDone): void {
    if (!this.open) {
      if (done) process.nextTick(done, false);
      return;
    }
    const n = Buffer.byteLength(s);
    this.texts.push(s);
    this.sizes.push(n);
    this.dones.push(done);
    this.queued += n;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.pump);
  }

  /** Move queued batches into the socket while it holds less than SINK_CHUNK; then check the limit. */
  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.closed || this.sinkDestroyed()) return this.discard();
    while (this.head < this.texts.length && this.sinkBuffered() < SINK_CHUNK) {
      const from = this.head;
      let bytes = 0;
      while (this.head < this.texts.length && (bytes === 0 || bytes + this.sizes[this.head]! <= SINK_CHUNK)) bytes += this.sizes[this.head++]!;
      const batch = from === 0 && this.head === this.texts.length ? this.texts : this.texts.slice(from, this.head);
      let receipts: WriteDone[] | null = null;
      for (let i = from; i < this.head; i++) {
        const d = this.dones[i];
        if (d) (receipts ??= []).push(d);
      }
      this.queued -= bytes;
      this.compact();
      this.sinkWrite(batch, (err) => this.written(receipts, !err && !this.sinkDestroyed()));
    }
    if (this.head === this.texts.length && this.ending && !this.ended) {
      this.ended = true;
      this.sinkEnd();
      return;
    }
    if (this.overflowFn && !this.ending && this.backlog > this.outboundLimit) {
      const fn = this.overflowFn;
      this.overflowFn = null;
      this.discard();
      fn();
    }
  };

  private compact(): void {
    if (this.head === this.texts.length) {
      this.texts = [];
      this.sizes = [];
      this.dones = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.texts.length) {
      this.texts = this.texts.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.dones = this.dones.slice(this.head);
      this.head = 0;
    }
  }

  /** A batch left the socket (or failed): answer its receipts, move more, tell the drain listener. */
  private written(receipts: WriteDone[] | null, ok: boolean): void {
    this.lastProgress = Date.now();
    if (receipts) for (const d of receipts) d(ok);
    if (this.head < this.texts.length || (this.ending && !this.ended)) this.schedule();
    this.drainFn?.();
  }

  /** Drop everything still queued; its receipts answer false. */
  private discard(): void {
    const dones = this.dones.slice(this.head);
    this.texts = [];
    this.sizes = [];
    this.dones = [];
    this.head = 0;
    this.queued = 0;
    for (const d of dones) if (d) d(false);
  }

  /** The socket closed: nothing queued will go out. */
  protected onSinkClose(): void {
    this.closed = true;
    this.discard();
    for (const fn of this.closeFns) fn();
  }

  end(graceMs = GRACE_MS): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.lastProgress = Date.now();
    this.pump();
    const check = (): void => {
      if (this.closed) return;
      const idle = Date.now() - this.lastProgress;
      if (idle < graceMs) setTimeout(check, graceMs - idle).unref();
      else this.destroy();
    };
    setTimeout(check, graceMs).unref();
  }

  destroy(): void {
    this.discard();
    this.sinkDestroy();
  }
}

export class TcpWire extends QueuedWire {
  readonly transport = 'tcp' as const;
  readonly remote: string;

  constructor(private readonly socket: Socket) {
    super();
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('error', () => this.socket.destroy());
    socket.on('close', () => this.onSinkClose());
  }

  onData(fn: (data: Buffer | string) => void): void {
    this.socket.on('data', fn);
  }

  protected sinkOpen(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }
  protected sinkDestroyed(): boolean {
    return this.socket.destroyed;
  }
  protected sinkBuffered(): number {
    return this.socket.writableLength;
  }
  protected sinkWrite(texts: string[], cb: (err?: Error | null) => void): void {
    this.socket.write(texts.length === 1 ? texts[0]! : texts.join(''), cb);
  }
  protected sinkEnd(): void {
    this.socket.end();
  }
  protected sinkDestroy(): void {
    this.socket.destroy();
  }
}

export class WsWire extends QueuedWire {
  readonly transport = 'websocket' as const;

  /** ws exposes its net.Socket only as the (undocumented but stable) `_socket`. */
  private get socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  constructor(private readonly ws: WebSocket, readonly remote: string) {
    super();
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.onSinkClose());
  }

  onData(fn: (data: Buffer | string) => void): void {
    this.ws.on('message', (data, isBinary) => {
      // RFC 7395 §3.2: text frames only; a binary frame is still XML, parse it as UTF-8.
      void isBinary;
      fn(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
    });
  }

  protected sinkOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }
  protected sinkDestroyed(): boolean {
    return this.socket?.destroyed ?? this.ws.readyState === this.ws.CLOSED;
  }
  protected sinkBuffered(): number {
    return this.ws.bufferedAmount;
  }
  protected sinkWrite(texts: string[], cb: (err?: Error | null) => void): void {
    // One frame per element (RFC 7395 §3.3.3), one syscall per batch. The last frame's callback
    // comes after every earlier one was written (one socket, in order).
    const socket = this.socket;
    socket?.cork();
    for (let i = 0; i < texts.length; i++) this.ws.send(texts[i]!, i === texts.length - 1 ? cb : undefined);
    socket?.uncork();
  }
  protected sinkEnd(): void {
    this.ws.close(1000);
  }
  protected sinkDestroy(): void {
    this.ws.terminate();
  }
}
