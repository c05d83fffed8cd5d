// The byte/message pipe under a stream: a TCP socket (RFC 6120) or a WebSocket (RFC 7395).
// TCP writes are joined per event-loop tick (one syscall for a burst of stanzas); a
// WebSocket needs one message per element (RFC 7395 §3.3.3), so it sends each at once.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface Wire {
  readonly transport: 'tcp' | 'websocket';
  readonly remote: string;
  readonly closed: boolean;
  /** One complete element, header or close tag. No-op once closed. */
  write(s: string): void;
  /** Flush, then close gracefully; force-close after `graceMs` if the peer hangs. */
  end(graceMs?: number): void;
  destroy(): void;
  onData(fn: (data: Buffer | string) => void): void;
  onClose(fn: () => void): void;
  /** Called once when the peer stops reading and OUTBOUND_LIMIT bytes pile up unsent. */
  onOverflow(fn: () => void): void;
}

const GRACE_MS = 1000;
/**
 * A peer that does not read must not make the sandbox buffer without bound (and run out of
 * memory for everyone): past this many unsent bytes its stream is closed. With XEP-0198 the
 * unacknowledged stanzas go back to the session manager (offline storage).
 */
export const OUTBOUND_LIMIT = 16 * 1024 * 1024;

export class TcpWire implements Wire {
  readonly transport = 'tcp' as const;
  readonly remote: string;
  private pending: string[] = [];
  private scheduled = false;
  private ending = false;
  private closeFns: (() => void)[] = [];
  private overflowFn: (() => void) | null = null;
  closed = false;

  constructor(private readonly socket: Socket) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('error', () => this.socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      for (const fn of this.closeFns) fn();
    });
  }

  onData(fn: (data: Buffer | string) => void): void {
    this.socket.on('data', fn);
  }

  onClose(fn: () => void): void {
    this.closeFns.push(fn);
  }

  write(s: string): void {
    if (this.closed || this.ending) return;
    this.pending.push(s);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0 || this.socket.destroyed) {
      this.pending = [];
      return;
    }
    const data = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.socket.write(data);
    if (this.socket.writableLength > OUTBOUND_LIMIT && this.overflowFn && !this.ending) {
      const fn = this.overflowFn;
      this.overflowFn = null;
      fn();
    }
  };

  onOverflow(fn: () => void): void {
    this.overflowFn = fn;
  }

  end(graceMs = GRACE_MS): void {
    if (this.ending || this.closed) return;
    this.flush();
    this.ending = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  destroy(): void {
    this.pending = [];
    this.socket.destroy();
  }
}

export class WsWire implements Wire {
  readonly transport = 'websocket' as const;
  private ending = false;
  private closeFns: (() => void)[] = [];
  private overflowFn: (() => void) | null = null;
  closed = false;

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  /** ws exposes its net.Socket only as the (undocumented but stable) `_socket`. */
  private get socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  constructor(private readonly ws: WebSocket, readonly remote: string) {
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.closed = true;
      for (const fn of this.closeFns) fn();
    });
  }

  onData(fn: (data: Buffer | string) => void): void {
    this.ws.on('message', (data, isBinary) => {
      // RFC 7395 §3.2: text frames only; a binary frame is still XML, parse it as UTF-8.
      void isBinary;
      fn(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
    });
  }

  onClose(fn: () => void): void {
    this.closeFns.push(fn);
  }

  write(s: string): void {
    if (this.closed || this.ending || this.ws.readyState !== this.ws.OPEN) return;
    // One frame per element (RFC 7395 §3.3.3), but one syscall per burst: hold the TCP
    // socket corked until the end of this tick.
    if (!this.corked && this.socket) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(s);
    if (this.ws.bufferedAmount > OUTBOUND_LIMIT && this.overflowFn) {
      // Deferred: not from inside the session manager's send() call.
      process.nextTick(this.overflowFn);
      this.overflowFn = null;
    }
  }

  onOverflow(fn: () => void): void {
    this.overflowFn = fn;
  }

  end(graceMs = GRACE_MS): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  destroy(): void {
    this.ws.terminate();
  }
}
