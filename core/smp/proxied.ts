/**
 * Sending through a proxy relay (private message routing, smp.md §4.9), as a sender's client
 * does it: PRXY gets the destination relay's signed session key; each command then travels in
 * PFWD, encrypted to that key with a fresh per-command key, so the proxy learns neither the
 * command nor the queue, and the destination relay never sees the sender's address.
 */
import { cbDecrypt, cbEncrypt, reverseNonce } from "../crypto/box.ts";
import {
  dh,
  generateKeyPair,
  type PublicKey,
  randomBytes,
  sign,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import { encode } from "../encoding/binary.ts";
import { verifyServerKey } from "../transport/smp_handshake.ts";
import { parseBatch } from "../transport/batch.ts";
import type { SmpServerAddress } from "./address.ts";
import { type AuthPrivateKey, type SmpClient, SmpClientError } from "./client.ts";
import { type Command, encodeCommand } from "./commands.ts";
import { type BrokerMsg, parseBrokerMsg } from "./responses.ts";
import { encodeTransmission, parseTransmission, transmissionForAuth } from "./transmission.ts";
import { cbAuthenticate } from "../crypto/authenticator.ts";
import { cbNonce } from "../crypto/box.ts";
import type { PrivateKey } from "../crypto/keys.ts";

/** `paddedProxiedTLength` */
const PROXIED_T_LENGTH = 16226;

export class ProxiedRelay {
  private constructor(
    readonly proxy: SmpClient,
    /** the proxy↔relay session id (the entity of PFWD, and what forwarded commands are signed with) */
    readonly sessionId: Uint8Array,
    readonly version: number,
    readonly relayKey: PublicKey<"X25519">,
  ) {}

  /** PRXY: asks `proxy` for a session to `destination`; rejects with the relay's error. */
  static async open(proxy: SmpClient, destination: SmpServerAddress): Promise<ProxiedRelay> {
    const r = await proxy.request(new Uint8Array(0), {
      type: "PRXY",
      server: {
        hosts: destination.hosts,
        port: destination.port ? String(destination.port) : "",
        keyHash: destination.keyHash,
      },
      basicAuth: destination.basicAuth ? new TextEncoder().encode(destination.basicAuth) : undefined,
    });
    if (r.type !== "PKEY") throw new SmpClientError(`PRXY failed: ${JSON.stringify(r)}`);
    // the destination's chain must name the identity in its address, and its leaf must sign the key
    const relayKey = verifyServerKey(r.certKey, destination.keyHash, []);
    return new ProxiedRelay(proxy, r.sessionId, r.versions.max, relayKey);
  }

  /** One command to the destination relay, through the proxy. */
  async request(entityId: Uint8Array, command: Command, key?: AuthPrivateKey): Promise<BrokerMsg> {
    const corrId = randomBytes(24);
    const params = { version: this.version, sessionId: this.sessionId };
    const { authorized, toSend } = transmissionForAuth(
      params,
      corrId,
      entityId,
      encodeCommand(this.version, command),
    );
    const auth = !key
      ? new Uint8Array(0)
      : key.algorithm === "X25519"
      ? cbAuthenticate(this.relayKey, key as PrivateKey<"X25519">, cbNonce(corrId), authorized)
      : sign(key as PrivateKey<SignatureAlgorithm>, authorized);
    const t = encodeTransmission(params, toSend, auth);
    const cmdKey = generateKeyPair("X25519");
    const secret = dh(this.relayKey, cmdKey.privateKey);
    const et = cbEncrypt(secret, corrId, encode((w) => w.byte(1).largeBytes(t)), PROXIED_T_LENGTH);
    const r = await this.proxy.request(
      this.sessionId,
      { type: "PFWD", version: this.version, key: cmdKey.publicKey, encTransmission: et },
      undefined,
      corrId,
    );
    if (r.type !== "PRES") return r;
    const opened = cbDecrypt(secret, reverseNonce(corrId), r.encResponse);
    if (!opened.ok) throw new SmpClientError("cannot decrypt the proxied response");
    const batch = parseBatch(opened.value);
    if (!batch.ok || batch.value.length !== 1) throw new SmpClientError("bad proxied response batch");
    const rt = parseTransmission(params, batch.value[0]);
    if (!rt.ok) throw new SmpClientError("bad proxied response transmission");
    const msg = parseBrokerMsg(this.version, rt.value.command);
    if (!msg.ok) throw new SmpClientError("bad proxied response");
    return msg.value;
  }
}
