// Loopback HTTP(S) servers and a forward proxy for the download tests: 127.0.0.1 on port 0,
// every request recorded, every socket destroyed on close (a stalled response included).
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}
export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface Loopback {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

// A throwaway self-signed certificate for 127.0.0.1 (test-only; not a secret). The TLS tests
// set NODE_TLS_REJECT_UNAUTHORIZED=0 around themselves, as a proxy's own CA would be trusted.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLttD5RpUmk8dXp3y
oCDbijHmJMoPgKLzax3SVKTF+R6hRANCAAQzCf9r/DFnfJKQJVvc8YaMTtvj0Ebe
fEWV1FLMfgDrHEcnFmf+c9x9ninOXDUwG6wsLOEW7De21cYo1X/TjoGr
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIULn6tEpSsFZEPjC4m/wPSPeDb2NowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwNTA2MjkyMloYDzIxMjYxMTEx
MDYyOTIyWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQzCf9r/DFnfJKQJVvc8YaMTtvj0EbefEWV1FLMfgDrHEcnFmf+c9x9
ninOXDUwG6wsLOEW7De21cYo1X/TjoGro28wbTAdBgNVHQ4EFgQUjsICRZlxKjla
zBF0/71Xj5eH628wHwYDVR0jBBgwFoAUjsICRZlxKjlazBF0/71Xj5eH628wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgaDazU05Uv6ZLcALqZlPXpHr+OS94P2i5WsdpO3Pi7l4CIQCX
kGugMyHSxlsqR3mQavwIS2xc48Y/Fzbc6O4HNLv3iQ==
-----END CERTIFICATE-----
`;

/** Starts a server; `handler` gets each request with its 0-based number. */
export async function serve(handler: Handler, o: { tls?: boolean } = {}): Promise<Loopback> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, seen.length - 1);
  };
  const server = o.tls
    ? https.createServer({ key: TEST_KEY, cert: TEST_CERT }, onRequest)
    : http.createServer(onRequest);
  server.on('connection', (s: Socket) => track(sockets, s));
  const port = await listen(server);
  return { url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen, close: () => shut(server, sockets) };
}

/**
 * A forward proxy: absolute-URI requests (http: targets) are forwarded, CONNECT (https:
 * targets) is tunnelled. `seen` holds "GET http://..." or "CONNECT host:port" lines.
 */
export async function forwardProxy(): Promise<Loopback & { lines: string[] }> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    lines.push(`${req.method} ${req.url}`);
    const up = http.request(req.url!, { method: req.method, headers: req.headers, agent: false }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => track(sockets, s));
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    lines.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const target = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      target.write(head);
      target.pipe(client).pipe(target);
    });
    track(sockets, target);
    target.on('error', () => client.destroy());
    client.on('error', () => target.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen: [], lines, close: () => shut(server, sockets) };
}

/** A port nothing listens on (taken, then freed): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
}

/** Serves `body`, honouring `Range: bytes=N-` (206, or 416 past the end). */
export function sendFile(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
    return;
  }
  const start = Number(m[1]);
  if (start >= body.length) {
    res.writeHead(416, { 'content-range': `bytes */${body.length}` });
    res.end();
    return;
  }
  res.writeHead(206, {
    'content-length': body.length - start,
    'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
  });
  res.end(body.subarray(start));
}

function track(sockets: Set<Socket>, s: Socket): void {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function shut(server: net.Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

/** Sends `body` in `chunk`-byte pieces every `everyMs` ms: slow enough for a second client to start meanwhile. */
export function trickle(res: ServerResponse, body: Buffer, chunk: number, everyMs: number): void {
  res.writeHead(200, { 'content-length': body.length });
  let at = 0;
  const tick = setInterval(() => {
    res.write(body.subarray(at, (at += chunk)));
    if (at >= body.length) {
      clearInterval(tick);
      res.end();
    }
  }, everyMs);
}
