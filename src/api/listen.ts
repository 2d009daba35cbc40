// Serves an app on a port; the only part of the API that touches the network.
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ApiServer {
  server: ServerType;
  /** the port actually bound (useful with port 0) */
  port: number;
  /**
   * Stops taking requests, ends the event streams, has answers held open (wait_s) given as they
   * stand, and resolves once every handler has returned: what the process closes next (its
   * Temporal connection, its pools) is no longer in use.
   */
  close(): Promise<void>;
}

export function startApiServer(options: { app: Hono<any, any, any>; port: number; host?: string }): Promise<ApiServer> {
  // The dashboard's event streams never end by themselves: closing the server ends them, where it
  // waits for every other request to finish.
  const eventStreams = new Set<ServerResponse>();
  const closing = new AbortController();
  const handling = new Set<Promise<unknown>>();
  const fetch = (request: Request, env: Record<string, unknown>) => {
    const answer = Promise.resolve(options.app.fetch(request, { ...env, closing: closing.signal }));
    const settled = answer.then(
      () => undefined,
      () => undefined,
    );
    handling.add(settled);
    void settled.then(() => handling.delete(settled));
    return answer;
  };
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: options.port, hostname: options.host ?? '0.0.0.0' }, (info: AddressInfo) => {
      resolve({
        server,
        port: info.port,
        close: async () => {
          const stopped = new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done())));
          closing.abort();
          for (const stream of eventStreams) stream.destroy();
          await stopped;
          await Promise.all(handling);
        },
      });
    });
    server.on('request', (request: { headers: { accept?: string } }, response: ServerResponse) => {
      if (!request.headers.accept?.includes('text/event-stream')) return;
      eventStreams.add(response);
      response.on('close', () => eventStreams.delete(response));
    });
    server.once('error', reject);
  });
}
