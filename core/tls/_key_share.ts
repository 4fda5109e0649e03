/**
 * (EC)DHE over X25519 and X448 (RFC 8446 §4.2.7, §7.4.2), the two groups SimpleX uses, with the
 * arithmetic of core/crypto/keys.ts. A public value of the wrong size or a low-order point is an
 * illegal_parameter.
 */
import { dh, type DhAlgorithm, generateKeyPair, type KeyPair, publicKey } from "../crypto/keys.ts";
import { fail } from "./errors.ts";

export type GroupName = DhAlgorithm;

export const NamedGroup: Record<GroupName, number> = { X25519: 0x001d, X448: 0x001e };

export function groupByCode(code: number): GroupName | undefined {
  return code === NamedGroup.X25519 ? "X25519" : code === NamedGroup.X448 ? "X448" : undefined;
}

export interface KeyShare {
  readonly group: GroupName;
  readonly keyPair: KeyPair<GroupName>;
}

export function generateKeyShare(group: GroupName): KeyShare {
  return { group, keyPair: generateKeyPair(group) };
}

/** The shared secret of our share with the peer's key_exchange bytes. */
export function sharedSecret(ours: KeyShare, peerKeyExchange: Uint8Array): Uint8Array {
  const expected = ours.group === "X25519" ? 32 : 56;
  if (peerKeyExchange.length !== expected) fail("illegal_parameter", `${ours.group} key share of wrong size`);
  try {
    return dh(publicKey(ours.group, peerKeyExchange), ours.keyPair.privateKey);
  } catch (e) {
    fail("illegal_parameter", `${ours.group} key share rejected`, e);
  }
}
