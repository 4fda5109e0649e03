/** `host:port`, `[v6]:port` or `:port` (host 127.0.0.1), as the control port, panel and SOCKS settings take them. */
export interface HostPort {
  readonly hostname: string;
  readonly port: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { hostname: m[1] ?? (m[2] || "127.0.0.1"), port };
}
