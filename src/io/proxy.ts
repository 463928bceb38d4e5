// The proxy a request goes through, from the environment as curl, pip and Keras's urllib read it:
// https_proxy/HTTPS_PROXY for https: URLs, http_proxy/HTTP_PROXY for http: ones (the lower-case
// name wins), and NO_PROXY/no_proxy: a comma- or space-separated list of hosts, `.domain` or
// `domain` (the domain and its sub-domains), optionally with `:port`, or `*` for every host.

export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | null {
  const name = target.protocol === 'https:' ? 'https_proxy' : 'http_proxy';
  const raw = env[name] || env[name.toUpperCase()];
  if (!raw || bypassed(target, env.no_proxy || env.NO_PROXY || '')) return null;
  // "proxy.corp:3128" without a scheme is an http proxy, as curl takes it.
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
}

function bypassed(target: URL, noProxy: string): boolean {
  const host = bare(target.hostname.toLowerCase());
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const [ruleHost, rulePort] = splitPort(entry.toLowerCase());
      if (rulePort && rulePort !== port) return false;
      const rule = bare(ruleHost).replace(/^\*?\./, '');
      return host === rule || host.endsWith(`.${rule}`);
    });
}

/** `host:port`, `[v6]:port`, or a bare IPv6 literal (more than one colon: no port). */
function splitPort(entry: string): [string, string | null] {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry);
  return m ? [m[1], m[2]] : [entry, null];
}

/** IPv6 literals come as [::1] in URLs and either way in NO_PROXY. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
