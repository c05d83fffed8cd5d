// Binding a listener, for every server in the sandbox (c2s, WebSocket, components, queue): a
// port in use becomes a PortInUseError naming the port and the config path of the listener
// that failed, so nothing downstream has to guess it from the port number.

import type { Server } from 'node:net';
import { PortInUseError, type PortSetting } from './control/api';

/** Listens on host:port (0: any free port) and resolves with the port bound. */
export function listen(server: Server, host: string, port: number, setting: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, setting, { host }) : err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
