// One GET with node:http(s), through the environment's proxy when there is one (see proxy.ts):
// an http: URL goes to the proxy as an absolute-URI request, an https: URL through a CONNECT
// tunnel with TLS to the real host inside it. node:http rather than a client library: the
// downloader needs the socket's idle timeout, the raw status and a streamed body, and the
// tunnel is a few lines.
import http, { type IncomingMessage, type ClientRequest } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { proxyFor } from './proxy.js';

export interface GetOptions {
  headers: Record<string, string>;
  /** The socket's idle timeout, also while connecting (a connect gets at most CONNECT_MS). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** An unanswered connect: offline or a black-holed route, not worth many retries. */
const CONNECT_MS = 10_000;

export class NetError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export async function getOnce(url: URL, o: GetOptions): Promise<IncomingMessage> {
  const proxy = proxyFor(url);
  if (!proxy) return send(lib(url).request(url, { headers: o.headers, agent: false, signal: o.signal }), o);
  const auth = proxyAuth(proxy);
  if (url.protocol === 'http:') {
    return send(
      lib(proxy).request({
        host: proxy.hostname,
        port: proxy.port || defaultPort(proxy),
        path: url.href,
        agent: false,
        signal: o.signal,
        headers: { ...o.headers, host: url.host, ...auth },
      }),
      o,
    );
  }
  const socket = await tunnel(proxy, url, auth, o);
  const servername = isIP(url.hostname) ? undefined : url.hostname;
  return send(
    https.request(url, {
      headers: o.headers,
      signal: o.signal,
      createConnection: () => tls.connect({ socket, servername, host: url.hostname }),
    }),
    o,
  );
}

function lib(u: URL): typeof http | typeof https {
  return u.protocol === 'https:' ? https : http;
}

function defaultPort(u: URL): string {
  return u.protocol === 'https:' ? '443' : '80';
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(user).toString('base64')}` };
}

/** Ends the request and resolves with the response head; the body is the caller's to read. */
function send(req: ClientRequest, o: GetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let res: IncomingMessage | undefined;
    guard(req, o.timeoutMs, () => res);
    req.once('response', (r) => resolve((res = r)));
    req.on('error', reject);
    req.end();
  });
}

/** CONNECT host:port on the proxy; resolves with the raw socket to the target. */
function tunnel(proxy: URL, target: URL, auth: Record<string, string>, o: GetOptions): Promise<Socket> {
  const hostPort = `${target.hostname}:${target.port || defaultPort(target)}`;
  const req = lib(proxy).request({
    host: proxy.hostname,
    port: proxy.port || defaultPort(proxy),
    method: 'CONNECT',
    path: hostPort,
    agent: false,
    signal: o.signal,
    headers: { host: hostPort, ...auth },
  });
  return new Promise((resolve, reject) => {
    guard(req, o.timeoutMs, () => undefined);
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new NetError(`proxy ${proxy.host} refused CONNECT ${hostPort}: HTTP ${res.statusCode}`, 'EPROXY'));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Idle timeout on the socket for the whole exchange (a stalled body included), and a shorter
 * limit for the connect; either destroys the request and its response with a NetError.
 */
function guard(req: ClientRequest, timeoutMs: number, res: () => IncomingMessage | undefined): void {
  const fail = (e: NetError) => {
    res()?.destroy(e);
    req.destroy(e);
  };
  const connectTimer = setTimeout(
    () => fail(new NetError(`no connection within ${Math.min(timeoutMs, CONNECT_MS) / 1000} s`, 'ECONNECTTIMEOUT')),
    Math.min(timeoutMs, CONNECT_MS),
  );
  const done = () => clearTimeout(connectTimer);
  req.once('close', done);
  req.once('socket', (s) => {
    if (s.connecting) s.once('connect', done);
    else done();
  });
  req.setTimeout(timeoutMs, () => fail(new NetError(`no data for ${timeoutMs / 1000} s`, 'ETIMEDOUT')));
}
