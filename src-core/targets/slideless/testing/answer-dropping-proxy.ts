import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type ProxyMode = 'pass' | 'drop-answer' | 'unavailable';

/** A proxy in front of a peer, and the way to steer it. */
export interface AnswerDroppingProxy {
  url: string;
  /** Decides, per request, what happens to it (default: pass everything). */
  decide: (request: IncomingMessage) => ProxyMode;
}

/**
 * A loopback HTTP proxy to `target` that can let a request through and then
 * lose its answer (the peer did the work; the client sees the connection
 * reset), or answer 503 itself: the lost-answer cases a commit must survive,
 * exactly where a test wants them.
 */
export async function startAnswerDroppingProxy(
  t: { after: (fn: () => Promise<void>) => void },
  target: string,
): Promise<AnswerDroppingProxy> {
  const proxy: AnswerDroppingProxy = { url: '', decide: () => 'pass' };
  const server = createServer((incoming, outgoing) => {
    const mode = proxy.decide(incoming);
    if (mode === 'unavailable') {
      incoming.resume();
      outgoing.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      outgoing.end(JSON.stringify({ success: false, error: { code: 'unavailable', message: 'Proxy: unavailable.' } }));
      return;
    }
    const forward = httpRequest(
      new URL(incoming.url!, target),
      { method: incoming.method, headers: { ...incoming.headers, host: new URL(target).host } },
      (answer) => {
        if (mode === 'drop-answer') {
          // The peer has handled it; read its answer, and lose it on the way back.
          answer.resume();
          answer.on('end', () => incoming.socket.destroy());
          return;
        }
        outgoing.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => incoming.socket.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return proxy;
}
