/**
 * Adversarial inputs: a certificate from the network is attacker-controlled, so every malformed
 * one must be an X509Error (or, if the damage happens to keep it well-formed, a parsed certificate),
 * never a RangeError, a TypeError or a hang.
 */
import assert from "node:assert/strict";
import { SeededRandom } from "../../tests/_util/random.ts";
import { parseCertificate } from "./certificate.ts";
import { validateChain } from "./chain.ts";
import { ChainError, X509Error } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { generateIdentity } from "./identity.ts";

const identities = [
  generateIdentity({ algorithm: "Ed25519", commonName: "smp.example.com" }),
  generateIdentity({ algorithm: "Ed448", commonName: "192.168.1.1" }),
];
const certificates = identities.flatMap((i) => [i.ca.cert, i.server.cert]);

/** Parses `der`, returning what happened; anything but a certificate or an X509Error fails the test. */
function parseOrX509Error(der: Uint8Array, context: string): "parsed" | "rejected" {
  try {
    parseCertificate(der);
    return "parsed";
  } catch (e) {
    if (e instanceof X509Error) return "rejected";
    throw new Error(`${context}: ${e}`, { cause: e });
  }
}

Deno.test("parseCertificate: every truncation of a real certificate is an X509Error", () => {
  for (const der of certificates) {
    for (let n = 0; n < der.length; n++) {
      assert.equal(parseOrX509Error(der.subarray(0, n), `truncated to ${n}`), "rejected");
    }
  }
});

Deno.test("parseCertificate: random byte flips give an X509Error or a certificate, nothing else", () => {
  const random = new SeededRandom();
  for (const der of certificates) {
    for (let i = 0; i < 2000; i++) {
      const damaged = der.slice();
      const flips = 1 + random.int(3);
      for (let f = 0; f < flips; f++) damaged[random.int(damaged.length)] ^= 1 + random.int(255);
      parseOrX509Error(damaged, `seed ${random.seed}, case ${i}`);
    }
  }
});

Deno.test("parseCertificate: every single-byte change at each position is handled", () => {
  const der = certificates[1];
  for (let pos = 0; pos < der.length; pos++) {
    for (const value of [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff]) {
      const damaged = der.slice();
      damaged[pos] = value;
      parseOrX509Error(damaged, `byte ${pos} = ${value}`);
    }
  }
});

Deno.test("parseCertificate: random bytes, also behind a SEQUENCE header, are X509Errors", () => {
  const random = new SeededRandom();
  for (let i = 0; i < 2000; i++) {
    const body = random.bytes(random.int(600));
    assert.equal(parseOrX509Error(body, `seed ${random.seed}, case ${i}`), "rejected");
    const framed = Uint8Array.of(0x30, 0x82, body.length >> 8, body.length & 0xff, ...body);
    parseOrX509Error(framed, `seed ${random.seed}, framed case ${i}`);
  }
});

Deno.test("validateChain: damaged chains are ChainErrors, never other exceptions", () => {
  const random = new SeededRandom();
  const { ca, server } = identities[0];
  const hash = fingerprint(ca.cert);
  for (let i = 0; i < 500; i++) {
    const leaf = server.cert.slice();
    leaf[random.int(leaf.length)] ^= 1 + random.int(255);
    try {
      validateChain([leaf, ca.cert], hash);
      assert.fail(`seed ${random.seed}, case ${i}: a damaged leaf was accepted`);
    } catch (e) {
      if (!(e instanceof ChainError)) throw e;
    }
  }
});
