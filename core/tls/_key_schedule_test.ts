/**
 * The key schedule against RFC 8448 §3 "Simple 1-RTT Handshake": every secret is derived from the
 * published inputs (X25519 keys, transcript hashes) and compared with the published value.
 */
import assert from "node:assert/strict";
import { dh, privateKey, publicKey } from "../crypto/keys.ts";
import { fromHex, toHex } from "../encoding/bytes.ts";
import {
  applicationSecrets,
  finishedVerifyData,
  handshakeSecrets,
  hkdfExpandLabel,
  nextTrafficSecret,
  sha256,
  trafficKeys,
  Transcript,
} from "./_key_schedule.ts";
import { decodeHandshake } from "./_messages.ts";

const CLIENT_PRIVATE = "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
const SERVER_PUBLIC = "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f";
const SHARED = "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";
const SERVER_HELLO =
  "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e0033" +
  "0024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
const HELLO_HASH = "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
const SERVER_FINISHED_HASH = "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13";

Deno.test("RFC 8448 §3: X25519 shared secret of the trace's keys", () => {
  const secret = dh(
    publicKey("X25519", fromHex(SERVER_PUBLIC)),
    privateKey("X25519", fromHex(CLIENT_PRIVATE)),
  );
  assert.equal(toHex(secret), SHARED);
});

Deno.test("RFC 8448 §3: ServerHello decodes to the trace's suite and key share", () => {
  const raw = fromHex(SERVER_HELLO);
  const m = decodeHandshake(raw[0], raw.subarray(4));
  assert.equal(m.type, "server_hello");
  if (m.type !== "server_hello") return;
  assert.equal(m.cipherSuite, 0x1301);
  assert.deepEqual(m.extensions.map((e) => e.type), [51, 43]);
});

Deno.test("RFC 8448 §3: handshake traffic secrets, keys and IVs", () => {
  const hs = handshakeSecrets(fromHex(SHARED), fromHex(HELLO_HASH));
  assert.equal(toHex(hs.handshakeSecret), "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
  assert.equal(
    toHex(hs.clientHandshakeTrafficSecret),
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
  );
  assert.equal(
    toHex(hs.serverHandshakeTrafficSecret),
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
  );
  const server = trafficKeys(hs.serverHandshakeTrafficSecret, 16);
  assert.equal(toHex(server.key), "3fce516009c21727d0f2e4e86ee403bc");
  assert.equal(toHex(server.iv), "5d313eb2671276ee13000b30");
  const client = trafficKeys(hs.clientHandshakeTrafficSecret, 16);
  assert.equal(toHex(client.key), "dbfaa693d1762c5b666af5d950258d01");
  assert.equal(toHex(client.iv), "5bd3c71b836e0b76bb73265f");
  assert.equal(
    toHex(hkdfExpandLabel(hs.serverHandshakeTrafficSecret, "finished", new Uint8Array(0), 32)),
    "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8",
  );
});

Deno.test("RFC 8448 §3: master and application traffic secrets", () => {
  const hs = handshakeSecrets(fromHex(SHARED), fromHex(HELLO_HASH));
  const app = applicationSecrets(hs.handshakeSecret, fromHex(SERVER_FINISHED_HASH));
  assert.equal(toHex(app.masterSecret), "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919");
  assert.equal(
    toHex(app.clientApplicationTrafficSecret),
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
  );
  assert.equal(
    toHex(app.serverApplicationTrafficSecret),
    "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
  );
  const client = trafficKeys(app.clientApplicationTrafficSecret, 16);
  assert.equal(toHex(client.key), "17422dda596ed5d9acd890e3c63f5051");
  assert.equal(toHex(client.iv), "5b78923dee08579033e523d9");
  const server = trafficKeys(app.serverApplicationTrafficSecret, 16);
  assert.equal(toHex(server.key), "9f02283b6c9c07efc26bb9f2ac92e356");
  assert.equal(toHex(server.iv), "cf782b88dd83549aadf1e984");
});

Deno.test("RFC 8448 §3: client Finished verify_data, i.e. the SimpleX session id of that trace", () => {
  const hs = handshakeSecrets(fromHex(SHARED), fromHex(HELLO_HASH));
  assert.equal(
    toHex(finishedVerifyData(hs.clientHandshakeTrafficSecret, fromHex(SERVER_FINISHED_HASH))),
    "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61",
  );
});

Deno.test("KeyUpdate ratchets with the 'traffic upd' label (RFC 8446 §7.2)", () => {
  const secret = fromHex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");
  assert.deepEqual(nextTrafficSecret(secret), hkdfExpandLabel(secret, "traffic upd", new Uint8Array(0), 32));
  assert.notDeepEqual(nextTrafficSecret(secret), secret);
});

Deno.test("transcript after HelloRetryRequest starts with message_hash of ClientHello1 (RFC 8446 §4.4.1)", () => {
  const clientHello1 = Uint8Array.of(1, 0, 0, 2, 3, 3);
  const retry = Uint8Array.of(2, 0, 0, 1, 9);
  const t = new Transcript();
  t.add(clientHello1);
  t.restartAfterRetry();
  t.add(retry);
  const expected = sha256(new Uint8Array([254, 0, 0, 32, ...sha256(clientHello1), ...retry]));
  assert.deepEqual(t.current(), expected);
});
