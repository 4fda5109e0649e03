/** PEM armour (RFC 7468): the textual form of certificates and keys in ca.crt, server.key and the like. */
import { Base64Error, decodeBase64, encodeBase64 } from "../encoding/base64.ts";
import { X509Error } from "./errors.ts";

export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE` or `PRIVATE KEY`. */
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([^\r\n]*?)-----([\s\S]*?)-----END ([^\r\n]*?)-----/g;

/**
 * Every PEM block in `text`, in order. Text outside the blocks is ignored (RFC 7468 §5.2 allows
 * explanatory text); a block with mismatched labels, broken base64 or no END line is an X509Error.
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let consumed = 0;
  for (const m of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = m;
    if (label !== endLabel) throw new X509Error("BAD_PEM", `PEM BEGIN ${label} closed by END ${endLabel}`);
    try {
      blocks.push({ label, der: decodeBase64(body.replace(/\s+/g, "")) });
    } catch (e) {
      if (e instanceof Base64Error) throw new X509Error("BAD_PEM", `PEM ${label}: ${e.message}`);
      throw e;
    }
    consumed = m.index + m[0].length;
  }
  if (text.indexOf("-----BEGIN ", consumed) >= 0) throw new X509Error("BAD_PEM", "unterminated PEM block");
  return blocks;
}

/** One PEM block with 64-character lines and a final newline, as OpenSSL writes it. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = encodeBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
