// The resumable downloader against loopback servers: redirects (relative, cross-host, http to
// https), a body cut mid-way and resumed with Range, servers that ignore Range or answer 416,
// 404 (final), 5xx/429/stalls (retried), a wrong checksum (nothing kept), two downloads of one
// file at once, a stale lock, an abort (the part kept), forward proxies from the environment.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { downloadFile, DownloadError, progressPrinter, type DownloadProgress } from '../../src/io/download.js';
import { proxyFor } from '../../src/io/proxy.js';
import { closedPort, forwardProxy, sendFile, serve, trickle, type Loopback } from '../helpers/loopback.js';

const BODY = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919 + (i >> 8)) & 255));
const MD5 = createHash('md5').update(BODY).digest('hex');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const CUT = 100_000;
const ENV_KEYS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_TLS_REJECT_UNAUTHORIZED',
];

let dir = '';
let n = 0;
let servers: Loopback[] = [];
let savedEnv: Record<string, string | undefined> = {};
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-download-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
});
afterEach(async () => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function server(handler: Parameters<typeof serve>[0], tls = false): Promise<Loopback> {
  const s = await serve(handler, { tls });
  servers.push(s);
  return s;
}

/** A fresh destination in a folder that does not exist yet (the downloader creates it). */
function dest(): string {
  return join(dir, `case${++n}`, 'sub', 'file.bin');
}

function leftovers(d: string): string[] {
  return ['', '.part', '.lock'].filter((s) => fs.existsSync(d + s)).map((s) => `file.bin${s}`);
}

/** Sends the first CUT bytes of a 200, then `then` (cut the connection, or stall). */
function partial(res: import('node:http').ServerResponse, then: 'cut' | 'stall'): void {
  res.writeHead(200, { 'content-length': BODY.length });
  res.write(BODY.subarray(0, CUT));
  if (then === 'cut') setTimeout(() => res.socket?.destroy(), 100);
}

describe('downloadFile', () => {
  test('downloads, checks the md5 and reports progress from 0 to the total', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    const seen: DownloadProgress[] = [];
    const r = await downloadFile({
      url: `${s.url}/w.h5`,
      dest: d,
      checksum: { algo: 'md5', hex: MD5 },
      onProgress: (p) => seen.push(p),
    });
    expect(r).toEqual({ path: d, bytes: BODY.length, resumed: false, hex: MD5 });
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
    expect(leftovers(d)).toEqual(['file.bin']);
    expect(seen[0]).toMatchObject({ received: 0, total: BODY.length, resumedFrom: 0 });
    expect(seen.at(-1)).toMatchObject({ received: BODY.length, total: BODY.length, etaSeconds: 0, resumedFrom: 0 });
    expect(seen.at(-1)!.bytesPerSecond).toBeGreaterThan(0);
    expect(seen.every((p, i) => i === 0 || p.received >= seen[i - 1].received)).toBe(true);
    expect(s.seen[0].headers['accept-encoding']).toBe('identity');
  });

  test('an existing complete file is not fetched again; sha256 is the default digest', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    expect((await downloadFile({ url: `${s.url}/a`, dest: d })).hex).toBe(SHA256);
    const again = await downloadFile({ url: `${s.url}/a`, dest: d, checksum: { algo: 'sha256', hex: SHA256 } });
    expect(again).toEqual({ path: d, bytes: BODY.length, resumed: false, hex: SHA256 });
    expect(s.seen).toHaveLength(1);
  });

  test('follows relative and cross-host redirects', async () => {
    const b = await server((req, res) => sendFile(req, res, BODY));
    const a = await server((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '../next/step' }).end();
      else if (req.url === '/next/step') res.writeHead(307, { location: `${b.url}/asset?sig=1` }).end();
      else res.writeHead(500).end();
    });
    const d = dest();
    const r = await downloadFile({ url: `${a.url}/start`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(r.bytes).toBe(BODY.length);
    expect(a.seen.map((x) => x.url)).toEqual(['/start', '/next/step']);
    expect(b.seen.map((x) => x.url)).toEqual(['/asset?sig=1']);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
  });

  test('more than 10 redirects is a final error', async () => {
    const s = await server((_req, res) => res.writeHead(301, { location: '/again' }).end());
    const err = await downloadFile({ url: `${s.url}/loop`, dest: dest(), backoffMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/more than 10 redirects/);
    expect(s.seen).toHaveLength(11);
  });

  test('a connection cut mid-body is resumed with Range and the file is exact', async () => {
    const s = await server((req, res, i) => (i === 0 ? partial(res, 'cut') : sendFile(req, res, BODY)));
    const d = dest();
    const seen: DownloadProgress[] = [];
    const r = await downloadFile({
      url: `${s.url}/f`,
      dest: d,
      checksum: { algo: 'md5', hex: MD5 },
      backoffMs: 5,
      onProgress: (p) => seen.push(p),
    });
    expect(s.seen).toHaveLength(2);
    expect(s.seen[0].headers.range).toBeUndefined();
    expect(s.seen[1].headers.range).toBe(`bytes=${CUT}-`);
    expect(r).toEqual({ path: d, bytes: BODY.length, resumed: true, hex: MD5 });
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ received: BODY.length, total: BODY.length, resumedFrom: CUT });
    expect(leftovers(d)).toEqual(['file.bin']);
  });

  test('a server that ignores Range (200) makes it start over', async () => {
    const s = await server((_req, res) => res.writeHead(200, { 'content-length': BODY.length }).end(BODY));
    const d = dest();
    fs.mkdirSync(join(d, '..'), { recursive: true });
    fs.writeFileSync(`${d}.part`, 'stale bytes from elsewhere');
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(s.seen[0].headers.range).toBe('bytes=26-');
    expect(r.resumed).toBe(false);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
  });

  test('416 to a resume of a complete part: the part is verified and kept', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    fs.mkdirSync(join(d, '..'), { recursive: true });
    fs.writeFileSync(`${d}.part`, BODY);
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(s.seen.map((x) => x.headers.range)).toEqual([`bytes=${BODY.length}-`]);
    expect(r).toEqual({ path: d, bytes: BODY.length, resumed: true, hex: MD5 });
    expect(leftovers(d)).toEqual(['file.bin']);
  });

  test('404 is final: one request, one line naming the URL', async () => {
    const s = await server((_req, res) => res.writeHead(404).end('no'));
    const d = dest();
    const err = await downloadFile({ url: `${s.url}/missing.h5`, dest: d, backoffMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(
      `dawnflow: cannot download ${s.url}/missing.h5 (HTTP 404 Not Found): the server refused it; ` +
        `check the URL, or put the file at ${d} yourself`,
    );
    expect(s.seen).toHaveLength(1);
    expect(leftovers(d)).toEqual([]);
  });

  test('5xx and 429 are retried, then the download succeeds', async () => {
    const s = await server((req, res, i) => {
      if (i === 0) res.writeHead(503).end();
      else if (i === 1) res.writeHead(429, { 'retry-after': '0' }).end();
      else sendFile(req, res, BODY);
    });
    const d = dest();
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 }, backoffMs: 5 });
    expect(s.seen).toHaveLength(3);
    expect(r.bytes).toBe(BODY.length);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
  });

  test('a persistent 500 gives up after the retries, saying how many tries', async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    const err = await downloadFile({ url: `${s.url}/f`, dest: dest(), retries: 2, backoffMs: 2 }).catch((e) => e);
    expect(s.seen).toHaveLength(3);
    expect(err.message).toMatch(
      /^dawnflow: cannot download \S+ \(HTTP 500 Internal Server Error; gave up after 3 tries\): run again later; nothing was written$/,
    );
  });

  test('a stalled body times out and is resumed', async () => {
    const s = await server((req, res, i) => (i === 0 ? partial(res, 'stall') : sendFile(req, res, BODY)));
    const d = dest();
    const r = await downloadFile({
      url: `${s.url}/f`,
      dest: d,
      checksum: { algo: 'md5', hex: MD5 },
      timeoutMs: 300,
      backoffMs: 5,
    });
    expect(s.seen[1].headers.range).toBe(`bytes=${CUT}-`);
    expect(r.resumed).toBe(true);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
  });

  test('a wrong checksum leaves nothing: no file, no part, no lock', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    const wrong = '0'.repeat(32);
    const err = await downloadFile({
      url: `${s.url}/f`,
      dest: d,
      checksum: { algo: 'md5', hex: wrong },
      backoffMs: 1,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain(`md5 ${MD5}, expected ${wrong}`);
    expect(err.message).toContain(`${s.url}/f`);
    expect(err.message).not.toContain('\n');
    expect(s.seen).toHaveLength(1);
    expect(leftovers(d)).toEqual([]);
  });

  test('two downloads of one file at once: one fetches, the other waits and finds it complete', async () => {
    const s = await server((_req, res) => trickle(res, BODY, 30_000, 15));
    const d = dest();
    const o = { url: `${s.url}/f`, dest: d, checksum: { algo: 'md5' as const, hex: MD5 } };
    const [a, b] = await Promise.all([downloadFile(o), downloadFile(o)]);
    expect([a.hex, b.hex]).toEqual([MD5, MD5]);
    expect(s.seen).toHaveLength(1);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
    expect(leftovers(d)).toEqual(['file.bin']);
  });

  test('a lock left by a dead process is taken over', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.mkdirSync(join(d, '..'), { recursive: true });
    fs.writeFileSync(`${d}.lock`, `${dead}\n`);
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(r.bytes).toBe(BODY.length);
    expect(leftovers(d)).toEqual(['file.bin']);
  });

  test('a lock with this pid that this process does not hold (a reused pid) is taken over', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const d = dest();
    fs.mkdirSync(join(d, '..'), { recursive: true });
    fs.writeFileSync(`${d}.lock`, `${process.pid}\nleft-by-an-earlier-process\n`);
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(r.hex).toBe(MD5);
    expect(leftovers(d)).toEqual(['file.bin']);
  });

  test('an abort keeps the part, and the next run resumes it', async () => {
    const ac = new AbortController();
    const s = await server((req, res, i) => {
      if (i > 0) return sendFile(req, res, BODY);
      partial(res, 'stall');
      setTimeout(() => ac.abort(), 200); // as Ctrl-C would, once the first CUT bytes are on disk
    });
    const d = dest();
    const t0 = Date.now();
    const err = await downloadFile({ url: `${s.url}/f`, dest: d, signal: ac.signal }).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.aborted).toBe(true);
    expect(err.message).toBe(`dawnflow: download of ${s.url}/f stopped; ${d}.part is kept and the next run resumes it`);
    expect(fs.statSync(`${d}.part`).size).toBe(CUT);
    expect(leftovers(d)).toEqual(['file.bin.part']);
    const r = await downloadFile({ url: `${s.url}/f`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(s.seen[1].headers.range).toBe(`bytes=${CUT}-`);
    expect(r).toEqual({ path: d, bytes: BODY.length, resumed: true, hex: MD5 });
  });

  test('nothing listening: fails within seconds, one line, with the network fix', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/w.h5`;
    const t0 = Date.now();
    const err = await downloadFile({ url, dest: dest() }).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.message).toMatch(
      new RegExp(
        `^dawnflow: cannot download ${url.replace(/\./g, '\\.')} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\): check the network connection, or set HTTPS_PROXY if you are behind a proxy$`,
      ),
    );
  });

  test('not an http(s) URL', async () => {
    await expect(downloadFile({ url: 'ftp://example.org/x', dest: dest() })).rejects.toThrow(
      /only http: and https: URLs/,
    );
  });
});

describe('downloadFile over TLS and through proxies', () => {
  test('http: through HTTP_PROXY (absolute-URI request); NO_PROXY goes direct', async () => {
    const s = await server((req, res) => sendFile(req, res, BODY));
    const proxy = await forwardProxy();
    servers.push(proxy);
    process.env.HTTP_PROXY = proxy.url;
    await downloadFile({ url: `${s.url}/via`, dest: dest(), checksum: { algo: 'md5', hex: MD5 } });
    expect(proxy.lines).toEqual([`GET ${s.url}/via`]);
    process.env.NO_PROXY = 'localhost, 127.0.0.1';
    await downloadFile({ url: `${s.url}/direct`, dest: dest(), checksum: { algo: 'md5', hex: MD5 } });
    expect(proxy.lines).toHaveLength(1);
    expect(s.seen.map((x) => x.url)).toEqual(['/via', '/direct']);
  });

  test('https: through HTTPS_PROXY with a CONNECT tunnel, after a redirect from http:', async () => {
    const b = await server((req, res) => sendFile(req, res, BODY), true);
    const a = await server((_req, res) => res.writeHead(302, { location: `${b.url}/signed` }).end());
    const proxy = await forwardProxy();
    servers.push(proxy);
    process.env.https_proxy = proxy.url;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const d = dest();
    const r = await downloadFile({ url: `${a.url}/asset`, dest: d, checksum: { algo: 'md5', hex: MD5 } });
    expect(r.bytes).toBe(BODY.length);
    expect(proxy.lines).toEqual([`CONNECT ${b.url.replace('https://', '')}`]);
    expect(b.seen.map((x) => x.url)).toEqual(['/signed']);
    expect(fs.readFileSync(d).equals(BODY)).toBe(true);
  });

  test('an untrusted certificate is final and names NODE_EXTRA_CA_CERTS', async () => {
    const b = await server((req, res) => sendFile(req, res, BODY), true);
    const err = await downloadFile({ url: `${b.url}/f`, dest: dest(), backoffMs: 1 }).catch((e) => e);
    expect(err.message).toMatch(/self-signed certificate.*NODE_EXTRA_CA_CERTS/);
    expect(b.seen).toHaveLength(0);
  });
});

describe('proxyFor', () => {
  const env = { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', HTTP_PROXY: 'plain:3128' };
  test('scheme-specific, lower case first, a bare host:port is http', () => {
    expect(proxyFor(new URL('https://github.com/x'), env)?.href).toBe('http://lower:1/');
    expect(proxyFor(new URL('http://github.com/x'), env)?.href).toBe('http://plain:3128/');
    expect(proxyFor(new URL('http://github.com/x'), {})).toBeNull();
  });
  test('NO_PROXY: domains with their sub-domains, ports, IPv6, *', () => {
    const np = (no: string, url: string) => proxyFor(new URL(url), { ...env, NO_PROXY: no }) === null;
    expect(np('.github.com', 'https://github.com/')).toBe(true);
    expect(np('github.com', 'https://objects.github.com/')).toBe(true);
    expect(np('github.com', 'https://notgithub.com/')).toBe(false);
    expect(np('example.org, github.com:8443', 'https://github.com/')).toBe(false);
    expect(np('github.com:8443', 'https://github.com:8443/')).toBe(true);
    expect(np('::1', 'http://[::1]:8080/')).toBe(true);
    expect(np('[::1]:8080', 'http://[::1]:8080/')).toBe(true);
    expect(np('*', 'https://anything.example/')).toBe(true);
  });
});

describe('progressPrinter', () => {
  function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
    let out = '';
    const stream = {
      isTTY,
      write: (s: string) => {
        out += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    return { stream, text: () => out };
  }
  const at = (received: number, total: number | null): DownloadProgress => ({
    received,
    total,
    bytesPerSecond: 2e6,
    etaSeconds: total ? (total - received) / 2e6 : null,
    resumedFrom: 0,
  });

  test('not a terminal: a line every 10%, the last one complete', () => {
    const f = fakeStream(false);
    const print = progressPrinter('w.h5', f.stream);
    for (let r = 0; r <= 50e6; r += 1e6) print(at(r, 50e6));
    const lines = f.text().trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('w.h5: 0.0 MB of 50.0 MB (0%), 2.0 MB/s, ETA 25 s');
    expect(lines.at(-1)).toBe('w.h5: 50.0 MB of 50.0 MB (100%), 2.0 MB/s');
  });

  test('a terminal: one line rewritten with \\r, ended once at 100%', () => {
    const f = fakeStream(true);
    const print = progressPrinter('w.h5', f.stream);
    print(at(0, 10e6));
    print(at(5e6, 10e6));
    print(at(10e6, 10e6));
    print(at(10e6, 10e6));
    expect(f.text().split('\r')).toHaveLength(4);
    expect(f.text().endsWith('(100%), 2.0 MB/s\x1b[K\n')).toBe(true);
  });
});
