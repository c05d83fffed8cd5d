// Bind a server to host:port; a port in use becomes an Error naming the port and the
// setting to change (the extension shows it), with code 'EADDRINUSE' and `port`.

import type { Server } from 'node:net';

export interface PortInUseError extends Error {
  code: 'EADDRINUSE';
  port: number;
  setting: string;
}

export function listen(server: Server, host: string, port: number, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        const e = new Error(`port ${port} in use on ${host}, change setting ${setting}`) as PortInUseError;
        e.code = 'EADDRINUSE';
        e.port = port;
        e.setting = setting;
        reject(e);
      } else reject(err);
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
