// Serves an app on a port; the only part of the API that touches the network.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ApiServer {
  server: ServerType;
  /** the port actually bound (useful with port 0) */
  port: number;
  close(): Promise<void>;
}

export function startApiServer(options: { app: Hono<any, any, any>; port: number; host?: string }): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: options.app.fetch, port: options.port, hostname: options.host ?? '0.0.0.0' }, (info: AddressInfo) => {
      resolve({
        server,
        port: info.port,
        close: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
      });
    });
    server.once('error', reject);
  });
}
