/**
 * The extensions this stack understands (RFC 8446 §4.2, RFC 6066 §3, RFC 7301 §3.1), each as a
 * decoder and an encoder of its extension_data. Unknown extensions are carried as raw bytes.
 */
import { fail } from "./errors.ts";
import { WireReader, WireWriter } from "./_wire.ts";

export const ExtensionType = {
  server_name: 0,
  supported_groups: 10,
  signature_algorithms: 13,
  application_layer_protocol_negotiation: 16,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
} as const;

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export const TLS13 = 0x0304;

/** Parses `Extension extensions<0..2^16-1>`, rejecting duplicates (RFC 8446 §4.2). */
export function decodeExtensions(r: WireReader): Extension[] {
  const list = new WireReader(r.vector(2));
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining > 0) {
    const type = list.u16();
    if (seen.has(type)) fail("illegal_parameter", `duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data: list.vector(2) });
  }
  return out;
}

export function encodeExtensions(w: WireWriter, extensions: readonly Extension[]): void {
  w.nested(2, (list) => {
    for (const e of extensions) list.u16(e.type).vector(2, e.data);
  });
}

export function findExtension(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}

/** Runs `decode` over an extension's data and requires it to be consumed exactly. */
function parse<T>(data: Uint8Array, what: string, decode: (r: WireReader) => T): T {
  const r = new WireReader(data);
  const value = decode(r);
  r.end(what);
  return value;
}

function build(body: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter();
  body(w);
  return w.finish();
}

function u16List(r: WireReader, prefix: 1 | 2, what: string): number[] {
  const v = new WireReader(r.vector(prefix, 2));
  if (v.remaining % 2 !== 0) fail("decode_error", `odd ${what} length`);
  const out: number[] = [];
  while (v.remaining > 0) out.push(v.u16());
  return out;
}

/** NamedGroupList and SignatureSchemeList: `u16 list<2..2^16-2>`. */
export const u16ListExtension = {
  decode: (data: Uint8Array, what: string): number[] => parse(data, what, (r) => u16List(r, 2, what)),
  encode: (values: readonly number[]): Uint8Array =>
    build((w) => w.nested(2, (l) => values.forEach((v) => l.u16(v)))),
};

/** supported_versions in ClientHello: `ProtocolVersion versions<2..254>` (RFC 8446 §4.2.1). */
export const clientSupportedVersions = {
  decode: (data: Uint8Array): number[] => parse(data, "supported_versions", (r) => u16List(r, 1, "versions")),
  encode: (versions: readonly number[]): Uint8Array =>
    build((w) => w.nested(1, (l) => versions.forEach((v) => l.u16(v)))),
};

/** supported_versions in ServerHello/HRR: `ProtocolVersion selected_version`. */
export const serverSupportedVersion = {
  decode: (data: Uint8Array): number => parse(data, "supported_versions", (r) => r.u16()),
  encode: (version: number): Uint8Array => build((w) => w.u16(version)),
};

export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

function keyShareEntry(r: WireReader): KeyShareEntry {
  return { group: r.u16(), keyExchange: r.vector(2, 1) };
}

/** KeyShareClientHello: `KeyShareEntry client_shares<0..2^16-1>` (RFC 8446 §4.2.8). */
export const clientKeyShares = {
  decode: (data: Uint8Array): KeyShareEntry[] =>
    parse(data, "key_share", (r) => {
      const list = new WireReader(r.vector(2));
      const out: KeyShareEntry[] = [];
      while (list.remaining > 0) out.push(keyShareEntry(list));
      return out;
    }),
  encode: (shares: readonly KeyShareEntry[]): Uint8Array =>
    build((w) => w.nested(2, (l) => shares.forEach((s) => l.u16(s.group).vector(2, s.keyExchange)))),
};

/** KeyShareServerHello: one `KeyShareEntry server_share`. */
export const serverKeyShare = {
  decode: (data: Uint8Array): KeyShareEntry => parse(data, "key_share", keyShareEntry),
  encode: (share: KeyShareEntry): Uint8Array => build((w) => w.u16(share.group).vector(2, share.keyExchange)),
};

/** KeyShareHelloRetryRequest: `NamedGroup selected_group`. */
export const retryKeyShare = {
  decode: (data: Uint8Array): number => parse(data, "key_share", (r) => r.u16()),
  encode: (group: number): Uint8Array => build((w) => w.u16(group)),
};

/** ProtocolNameList (RFC 7301 §3.1): non-empty list of non-empty byte strings. */
export const alpnProtocols = {
  decode: (data: Uint8Array): string[] =>
    parse(data, "application_layer_protocol_negotiation", (r) => {
      const list = new WireReader(r.vector(2, 2));
      const out: string[] = [];
      while (list.remaining > 0) out.push(new TextDecoder().decode(list.vector(1, 1)));
      return out;
    }),
  encode: (protocols: readonly string[]): Uint8Array =>
    build((w) => w.nested(2, (l) => protocols.forEach((p) => l.vector(1, new TextEncoder().encode(p))))),
};

/** ServerNameList (RFC 6066 §3): the host_name entry, if any. */
export const serverName = {
  decode: (data: Uint8Array): string | undefined =>
    parse(data, "server_name", (r) => {
      const list = new WireReader(r.vector(2, 1));
      let host: string | undefined;
      while (list.remaining > 0) {
        const nameType = list.u8();
        const name = list.vector(2, 1);
        if (nameType === 0) {
          if (host !== undefined) fail("illegal_parameter", "two host_name entries");
          host = new TextDecoder().decode(name);
        }
      }
      return host;
    }),
  encode: (host: string): Uint8Array =>
    build((w) => w.nested(2, (l) => l.u8(0).vector(2, new TextEncoder().encode(host)))),
};

/** Cookie (RFC 8446 §4.2.2): `opaque cookie<1..2^16-1>`. */
export const cookie = {
  decode: (data: Uint8Array): Uint8Array => parse(data, "cookie", (r) => r.vector(2, 1)),
  encode: (value: Uint8Array): Uint8Array => build((w) => w.vector(2, value)),
};
