/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) for the SHA-256 cipher suites, which are the only ones
 * this stack negotiates: HKDF-Extract/Expand-Label, Derive-Secret, traffic keys (§7.3), Finished
 * (§4.4.4) and the KeyUpdate ratchet (§7.2). HMAC and SHA-256 run in node:crypto.
 */
import { createHash, createHmac, type Hash } from "node:crypto";

export const HASH_LENGTH = 32;
const ZEROS = new Uint8Array(HASH_LENGTH);
const encoder = new TextEncoder();

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

/** HKDF-Extract (RFC 5869 §2.2); an absent salt is HashLen zeros. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(salt.length === 0 ? ZEROS : salt, ikm);
}

/** HKDF-Expand-Label (RFC 8446 §7.1): the label is prefixed with "tls13 ". */
export function hkdfExpandLabel(
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const fullLabel = encoder.encode("tls13 " + label);
  const info = new Uint8Array(4 + fullLabel.length + context.length);
  info[0] = length >>> 8;
  info[1] = length;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  // HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    const h = createHmac("sha256", secret).update(previous).update(info).update(Uint8Array.of(i));
    previous = new Uint8Array(h.digest());
    out.set(previous.subarray(0, Math.min(HASH_LENGTH, length - filled)), filled);
    filled += HASH_LENGTH;
  }
  return out;
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(secret, label, transcriptHash, HASH_LENGTH);
}

export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** [sender]_write_key and [sender]_write_iv of a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(secret: Uint8Array, keyLength: number): TrafficKeys {
  return {
    key: hkdfExpandLabel(secret, "key", new Uint8Array(0), keyLength),
    iv: hkdfExpandLabel(secret, "iv", new Uint8Array(0), 12),
  };
}

/** Finished.verify_data = HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4). */
export function finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(hkdfExpandLabel(baseKey, "finished", new Uint8Array(0), HASH_LENGTH), transcriptHash);
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2). */
export function nextTrafficSecret(secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(secret, "traffic upd", new Uint8Array(0), HASH_LENGTH);
}

export interface HandshakeSecrets {
  readonly handshakeSecret: Uint8Array;
  readonly clientHandshakeTrafficSecret: Uint8Array;
  readonly serverHandshakeTrafficSecret: Uint8Array;
}

export interface ApplicationSecrets {
  readonly masterSecret: Uint8Array;
  readonly clientApplicationTrafficSecret: Uint8Array;
  readonly serverApplicationTrafficSecret: Uint8Array;
}

const EMPTY_HASH = sha256(new Uint8Array(0));

/** The secrets up to the handshake traffic secrets, without a PSK (RFC 8446 §7.1). */
export function handshakeSecrets(sharedSecret: Uint8Array, helloHash: Uint8Array): HandshakeSecrets {
  const earlySecret = hkdfExtract(ZEROS, ZEROS);
  const handshakeSecret = hkdfExtract(deriveSecret(earlySecret, "derived", EMPTY_HASH), sharedSecret);
  return {
    handshakeSecret,
    clientHandshakeTrafficSecret: deriveSecret(handshakeSecret, "c hs traffic", helloHash),
    serverHandshakeTrafficSecret: deriveSecret(handshakeSecret, "s hs traffic", helloHash),
  };
}

/** The master secret and the first application traffic secrets; `serverFinishedHash` covers CH..server Finished. */
export function applicationSecrets(
  handshakeSecret: Uint8Array,
  serverFinishedHash: Uint8Array,
): ApplicationSecrets {
  const masterSecret = hkdfExtract(deriveSecret(handshakeSecret, "derived", EMPTY_HASH), ZEROS);
  return {
    masterSecret,
    clientApplicationTrafficSecret: deriveSecret(masterSecret, "c ap traffic", serverFinishedHash),
    serverApplicationTrafficSecret: deriveSecret(masterSecret, "s ap traffic", serverFinishedHash),
  };
}

/**
 * The running transcript hash over handshake messages (RFC 8446 §4.4.1). After a HelloRetryRequest
 * the first ClientHello is replaced by the synthetic message_hash message.
 */
export class Transcript {
  /** made on first use, so that an engine can drop a finished transcript for an empty one cheaply */
  private hash: Hash | undefined;

  add(message: Uint8Array): void {
    (this.hash ??= createHash("sha256")).update(message);
  }

  current(): Uint8Array {
    return new Uint8Array((this.hash ??= createHash("sha256")).copy().digest());
  }

  /** Replaces ClientHello1 with `message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`. */
  restartAfterRetry(): void {
    const clientHello1Hash = this.current();
    this.hash = createHash("sha256");
    this.hash.update(Uint8Array.of(254, 0, 0, HASH_LENGTH));
    this.hash.update(clientHello1Hash);
  }
}
