/**
 * SMP server addresses (smp.md §6): `smp://<b64u fingerprint>[:<password>]@<host>[,<host2>…][:<port>]`.
 */
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64.ts";

export interface SmpServerAddress {
  readonly keyHash: Uint8Array;
  readonly hosts: readonly string[];
  /** undefined: the default port 5223 */
  readonly port?: number;
  readonly basicAuth?: string;
}

export const DEFAULT_SMP_PORT = 5223;

export class AddressError extends Error {
  override name = "AddressError";
}

const ADDRESS = /^(smp|xftp|ntf):\/\/([A-Za-z0-9_-]+=*)(?::([^@\s]+))?@([^\s/#?]+)$/;

export function parseServerAddress(text: string, scheme = "smp"): SmpServerAddress {
  const m = ADDRESS.exec(text.trim());
  if (!m || m[1] !== scheme) throw new AddressError(`not an ${scheme}:// server address: ${text}`);
  let keyHash: Uint8Array;
  try {
    keyHash = decodeBase64Url(m[2]);
  } catch {
    throw new AddressError(`bad fingerprint in ${text}`);
  }
  if (keyHash.length !== 32) throw new AddressError(`the fingerprint must be 32 bytes in ${text}`);
  let hostPart = m[4];
  let port: number | undefined;
  const portMatch = /:(\d+)$/.exec(hostPart);
  if (portMatch && !hostPart.endsWith("]")) {
    port = Number(portMatch[1]);
    if (port < 1 || port > 65535) throw new AddressError(`bad port in ${text}`);
    hostPart = hostPart.slice(0, -portMatch[0].length);
  }
  const hosts = hostPart.split(",");
  if (hosts.some((h) => h === "" || /[\s@#/]/.test(h))) throw new AddressError(`bad host in ${text}`);
  return { keyHash, hosts, port, basicAuth: m[3] };
}

export function encodeServerAddress(a: SmpServerAddress, scheme = "smp"): string {
  const auth = a.basicAuth ? `:${a.basicAuth}` : "";
  const port = a.port !== undefined ? `:${a.port}` : "";
  return `${scheme}://${encodeBase64Url(a.keyHash)}${auth}@${a.hosts.join(",")}${port}`;
}
