// The stream layer's entry point: the c2s TCP listener (RFC 6120), the c2s WebSocket
// listener (RFC 7395) and the XEP-0114 component listener, all on config.host.
//
// Loopback is no wall against the browser: any page the developer visits may open a WebSocket
// to 127.0.0.1 and log in with the sandbox password. So the upgrade is refused (HTTP 403,
// RFC 6455 §4.2.2 / §10.2) unless its Origin is local, a VS Code webview, or configured
// (xmpp.allowedOrigins); clients that send no Origin are not browsers and are let in.

import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { normalizeOrigin, type SandboxConfig } from '../../config';
import type { Logger } from '../../log';
import type { AccountStore, SessionManagerPort, StreamSession } from '../session';
import { C2sConnection } from './c2s-connection';
import { ComponentConnection } from './component-connection';
import { StreamContext } from './context';
import { closeServer, listen } from '../../listen';
import { TcpWire, WsWire } from './wire';

export interface StreamListenersOptions {
  config: SandboxConfig;
  sm: SessionManagerPort;
  accounts: AccountStore;
  log: Logger;
}

export interface StreamListeners {
  /** c2s, then WebSocket, then components; a port in use rejects with the PortInUseError naming that listener's setting, and closes those already open. */
  start(): Promise<{ c2sPort: number; wsPort: number | null; componentPort: number | null }>;
  stop(): Promise<void>;
  sessions(): StreamSession[];
}

const STOP_GRACE_MS = 1000;

/** Pages on these hosts run on the developer's machine (http or https, any port). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** VS Code webviews (e.g. the extension's own panels) have this scheme. */
const WEBVIEW_SCHEME = 'vscode-webview:';
/** Refused origins are logged once each (a page retrying in a loop would flood the log); at most this many are remembered. */
const MAX_WARNED_ORIGINS = 100;

/** Answers an upgrade request with an HTTP error and closes, before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, status: string, body: string): void {
  // The HTTP server stops handling the socket's errors once it emits 'upgrade'.
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * RFC 6455 §10.2: the server decides from Origin which pages may connect. `origin` is the
 * header's value (undefined when absent); `allowed` holds xmpp.allowedOrigins normalized.
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  // A browser always sends Origin on a WebSocket handshake (RFC 6455 §4.1, item 7; §10.2): a
  // client without one is a program on this machine, which could log in over TCP anyway.
  if (origin === undefined) return true;
  if (allowed.has('*')) return true;
  // The opaque origin of file:// pages and sandboxed iframes (RFC 6454 §7.3): only if listed.
  if (origin === 'null') return allowed.has('null');
  const o = normalizeOrigin(origin);
  if (o === null) return false;
  if (o.startsWith(WEBVIEW_SCHEME)) return true;
  if (o.startsWith('http:') || o.startsWith('https:')) {
    if (LOCAL_HOSTS.has(new URL(o).hostname)) return true;
  }
  return allowed.has(o);
}

export function createStreamListeners(opts: StreamListenersOptions): StreamListeners {
  const { config } = opts;
  const log = opts.log.child('stream');
  const ctx = new StreamContext(config, opts.sm, opts.accounts, log);
  const sockets = new Set<net.Socket>();
  let c2sServer: net.Server | null = null;
  let compServer: net.Server | null = null;
  let httpServer: http.Server | null = null;
  let wss: WebSocketServer | null = null;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  function startC2s(): Promise<number> {
    c2sServer = net.createServer((socket) => {
      track(socket);
      new C2sConnection(new TcpWire(socket), ctx);
    });
    return listen(c2sServer, config.host, config.xmpp.c2sPort, 'xmpp.c2sPort');
  }

  function startComponent(): Promise<number> {
    compServer = net.createServer((socket) => {
      track(socket);
      new ComponentConnection(new TcpWire(socket), ctx);
    });
    return listen(compServer, config.host, config.xmpp.componentPort, 'xmpp.componentPort');
  }

  function startWebSocket(): Promise<number> {
    const path = config.xmpp.wsPath;
    const allowed = new Set(config.xmpp.allowedOrigins.map((o) => (o === '*' || o === 'null' ? o : normalizeOrigin(o) ?? o)));
    const warned = new Set<string>();
    // Room for framing around a maximal stanza; the parser enforces maxStanzaBytes itself
    // and answers <policy-violation/> (ws would just drop the connection).
    wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.xmpp.maxStanzaBytes * 4 + 4096,
      // RFC 7395 §3.1: the server must echo the 'xmpp' subprotocol (docs/interop.md §1.1).
      handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
    });
    // A slowloris on the upgrade request itself (headers sent byte by byte) is cut off like one
    // on the stream header (C2sConnection): after xmpp.preAuthTimeoutSec, with a 408. Node checks
    // these limits every connectionsCheckingInterval, hence a fraction of the limit.
    const preAuthMs = Math.ceil(config.xmpp.preAuthTimeoutSec * 1000);
    const httpLimits: http.ServerOptions = { headersTimeout: preAuthMs, requestTimeout: preAuthMs, connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(preAuthMs / 4))) };
    httpServer = http.createServer(httpLimits, (req, res) => {
      res.writeHead(req.url?.split('?')[0] === path ? 426 : 404, { 'content-type': 'text/plain' });
      res.end(req.url?.split('?')[0] === path ? 'WebSocket upgrade required (RFC 7395)\n' : 'not found\n');
    });
    httpServer.on('connection', track);
    httpServer.on('upgrade', (req, socket, head) => {
      if (req.url?.split('?')[0] !== path) return refuseUpgrade(socket, '404 Not Found', '');
      const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      // Version 8 handshakes (which ws still accepts) carry it as Sec-WebSocket-Origin.
      const origin = req.headers.origin ?? req.headers['sec-websocket-origin'];
      if (!originAllowed(typeof origin === 'string' ? origin : undefined, allowed)) {
        warnOrigin(String(origin), remote, warned);
        return refuseUpgrade(socket, '403 Forbidden', 'origin not allowed (RFC 6455 §10.2); see the sandbox log\n');
      }
      wss!.handleUpgrade(req, socket, head, (ws) => {
        new C2sConnection(new WsWire(ws, remote), ctx);
      });
    });
    return listen(httpServer, config.host, config.xmpp.wsPort, 'xmpp.wsPort');
  }

  /** One warning per refused origin, saying how to allow it; repeats go to debug. */
  function warnOrigin(origin: string, remote: string, warned: Set<string>): void {
    const shown = JSON.stringify(origin.length > 200 ? origin.slice(0, 200) + '…' : origin);
    if (warned.has(origin) || warned.size >= MAX_WARNED_ORIGINS) {
      log.debug(`WebSocket upgrade from origin ${shown} (${remote}) refused again: HTTP 403`);
      return;
    }
    warned.add(origin);
    const entry = origin === 'null' ? `null (as open as '*': every file:// page and sandboxed iframe)` : normalizeOrigin(origin);
    log.warn(
      `WebSocket upgrade from origin ${shown} (${remote}) refused with HTTP 403: only local pages (localhost, 127.0.0.1, [::1]), VS Code webviews and allowed origins may connect (RFC 6455 §10.2). ` +
        (entry === null
          ? "That is not a valid origin (RFC 6454): only --allow-origin '*' (every page) lets it in."
          : `If that page is yours, allow it: xmpp-sandbox serve --allow-origin ${entry}, or add it to the VS Code setting xmppSandbox.allowedOrigins (config: xmpp.allowedOrigins).`),
    );
  }

  async function closeAll(): Promise<void> {
    ctx.stopping = true;
    for (const c of [...ctx.connections]) c.close('system-shutdown');
    for (const s of [...ctx.sessions]) s.endDetached();
    const servers = [c2sServer, compServer, httpServer].filter((s): s is net.Server => s !== null);
    const closed = Promise.all(servers.map(closeServer));
    wss?.close();
    // Peers that never answer our close get destroyed after the grace period.
    const timer = setTimeout(() => {
      for (const c of [...ctx.connections]) c.destroy();
      for (const s of sockets) s.destroy();
    }, STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
    c2sServer = compServer = httpServer = null;
    wss = null;
  }

  return {
    async start() {
      ctx.stopping = false;
      try {
        const c2sPort = await startC2s();
        const wsPort = config.xmpp.wsPort === -1 ? null : await startWebSocket();
        const componentPort = config.xmpp.componentPort === -1 ? null : await startComponent();
        log.info(`c2s on ${config.host}:${c2sPort}` + (wsPort !== null ? `, websocket on ws://${config.host}:${wsPort}${config.xmpp.wsPath}` : '') + (componentPort !== null ? `, components on ${config.host}:${componentPort}` : ''));
        return { c2sPort, wsPort, componentPort };
      } catch (e) {
        await closeAll();
        throw e;
      }
    },
    stop: closeAll,
    sessions() {
      return [...ctx.sessions];
    },
  };
}
