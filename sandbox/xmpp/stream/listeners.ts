// The stream layer's entry point: the c2s TCP listener (RFC 6120), the c2s WebSocket
// listener (RFC 7395) and the XEP-0114 component listener, all on config.host.

import * as http from 'node:http';
import * as net from 'node:net';
import { WebSocketServer } from 'ws';
import type { SandboxConfig } from '../../config';
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
    // Room for framing around a maximal stanza; the parser enforces maxStanzaBytes itself
    // and answers <policy-violation/> (ws would just drop the connection).
    wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.xmpp.maxStanzaBytes * 4 + 4096,
      // RFC 7395 §3.1: the server must echo the 'xmpp' subprotocol (docs/interop.md §1.1).
      handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
    });
    httpServer = http.createServer((req, res) => {
      res.writeHead(req.url?.split('?')[0] === path ? 426 : 404, { 'content-type': 'text/plain' });
      res.end(req.url?.split('?')[0] === path ? 'WebSocket upgrade required (RFC 7395)\n' : 'not found\n');
    });
    httpServer.on('connection', track);
    httpServer.on('upgrade', (req, socket, head) => {
      if (req.url?.split('?')[0] !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss!.handleUpgrade(req, socket, head, (ws) => {
        const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
        new C2sConnection(new WsWire(ws, remote), ctx);
      });
    });
    return listen(httpServer, config.host, config.xmpp.wsPort, 'xmpp.wsPort');
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
