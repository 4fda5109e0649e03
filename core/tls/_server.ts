/**
 * The server handshake (RFC 8446 §2, §4): version, suite, group and certificate selection,
 * HelloRetryRequest when the client has no share for the chosen group (§4.1.4), ALPN with
 * no_application_protocol (RFC 7301 §3.2), and an optional client certificate request.
 */
import { randomBytes } from "../crypto/keys.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { fail } from "./errors.ts";
import { CIPHER_SUITES, type CipherSuite, type CipherSuiteName } from "./_cipher_suite.ts";
import { TlsEngine } from "./_engine.ts";
import {
  alpnProtocols,
  clientKeyShares,
  clientSupportedVersions,
  type Extension,
  ExtensionType,
  findExtension,
  type KeyShareEntry,
  retryKeyShare,
  serverKeyShare,
  serverName,
  serverSupportedVersion,
  TLS13,
  u16ListExtension,
} from "./_extensions.ts";
import { applicationSecrets, finishedVerifyData, handshakeSecrets, Transcript } from "./_key_schedule.ts";
import { generateKeyShare, groupByCode, type GroupName, NamedGroup, sharedSecret } from "./_key_share.ts";
import { leafSubjectPublicKeyInfo } from "./_leaf_key.ts";
import type { ClientHello, Handshake } from "./_messages.ts";
import {
  certificateVerifyContent,
  loadPrivateKey,
  schemeOfKey,
  type SignatureScheme,
  signWith,
  SIMPLEX_SIGNATURE_SCHEMES,
  verifyCertificateVerify,
} from "./_signature.ts";
import type { KeyObject } from "node:crypto";

/** One certificate the server can present: its DER chain (leaf first) and the leaf's private key. */
export interface ServerCertificate {
  readonly chain: readonly Uint8Array[];
  /** PKCS#8 DER or PEM; Ed25519, Ed448 or ECDSA P-256 */
  readonly privateKey: Uint8Array | string;
  /** SNI names this certificate is for; without it the certificate serves any (or no) SNI */
  readonly serverNames?: readonly string[];
}

export interface ServerEngineOptions {
  readonly certificates: readonly ServerCertificate[];
  /**
   * Chooses the certificate for a connection by its SNI (undefined when none was sent). By default the
   * first certificate whose serverNames match (or that has none) and whose key the client accepts.
   */
  readonly selectCertificate?: (serverName: string | undefined) => ServerCertificate | undefined;
  /** The server's ALPN protocols; unset means ALPN is ignored. */
  readonly alpnProtocols?: readonly string[];
  /** Picks from the client's offer; default: the first client protocol that is in alpnProtocols (hs-tls). */
  readonly selectAlpn?: (offered: readonly string[]) => string | undefined;
  readonly cipherSuites?: readonly CipherSuiteName[];
  /** Groups in preference order; default X25519, X448. */
  readonly groups?: readonly GroupName[];
  /**
   * Insist on our first group the client supports, with a HelloRetryRequest when the client sent no
   * share for it; by default any share for a supported group is taken, saving a round trip.
   */
  readonly preferServerGroups?: boolean;
  /**
   * Send a CertificateRequest; the client may answer with an empty Certificate. A function
   * decides by the SNI name the client sent (e.g. not for browsers, which send one).
   */
  readonly requestClientCertificate?: boolean | ((serverName: string | undefined) => boolean);
  /** Checks a non-empty client chain (leaf first); throw to reject. */
  readonly verifyClientChain?: (chain: Uint8Array[]) => void;
}

interface LoadedCertificate {
  readonly config: ServerCertificate;
  readonly key: KeyObject;
  readonly scheme: SignatureScheme;
}

type ServerState =
  | "wait_client_hello"
  | "wait_certificate"
  | "wait_certificate_verify"
  | "wait_finished"
  | "connected";

export class ServerEngine extends TlsEngine {
  private phase: ServerState = "wait_client_hello";
  private transcript = new Transcript();
  private readonly suites: CipherSuite[];
  private readonly groups: readonly GroupName[];
  private readonly certificates: LoadedCertificate[];
  private retryGroup: GroupName | undefined;
  private handshakeSecret: Uint8Array = new Uint8Array(0);
  private clientHandshakeSecret: Uint8Array = new Uint8Array(0);
  private clientApplicationSecret: Uint8Array = new Uint8Array(0);
  private leafSpki: Uint8Array = new Uint8Array(0);

  constructor(private readonly options: ServerEngineOptions) {
    super();
    this.suites = (options.cipherSuites ?? ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]).map((
      n,
    ) => CIPHER_SUITES[n]);
    this.groups = options.groups ?? ["X25519", "X448"];
    this.certificates = loadCertificates(options.certificates);
  }

  protected onHandshake(m: Handshake, raw: Uint8Array): void {
    switch (this.phase) {
      case "wait_client_hello":
        if (m.type === "client_hello") return this.onClientHello(m, raw);
        break;
      case "wait_certificate":
        if (m.type === "certificate") {
          return this.onClientCertificate(
            m.context,
            m.entries.map((e) => e.certData),
            raw,
          );
        }
        break;
      case "wait_certificate_verify":
        if (m.type === "certificate_verify") {
          const content = certificateVerifyContent("client", this.transcript.current());
          verifyCertificateVerify(this.leafSpki, m.algorithm, SIMPLEX_CLIENT_SCHEMES, content, m.signature);
          this.transcript.add(raw);
          this.phase = "wait_finished";
          return;
        }
        break;
      case "wait_finished":
        if (m.type === "finished") return this.onFinished(m.verifyData, raw);
        break;
    }
    fail("unexpected_message", `${m.type} in state ${this.phase}`);
  }

  private onClientHello(ch: ClientHello, raw: Uint8Array): void {
    const versions = findExtension(ch.extensions, ExtensionType.supported_versions);
    if (versions === undefined || !clientSupportedVersions.decode(versions).includes(TLS13)) {
      fail("protocol_version", "the client does not offer TLS 1.3");
    }
    if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
      fail("illegal_parameter", "legacy_compression_methods must be [0]");
    }
    const suite = this.suites.find((s) => ch.cipherSuites.includes(s.code));
    if (suite === undefined) fail("handshake_failure", "no cipher suite in common");
    const groupsData = findExtension(ch.extensions, ExtensionType.supported_groups);
    const sharesData = findExtension(ch.extensions, ExtensionType.key_share);
    const schemesData = findExtension(ch.extensions, ExtensionType.signature_algorithms);
    if (groupsData === undefined || sharesData === undefined || schemesData === undefined) {
      fail("missing_extension", "ClientHello lacks supported_groups, key_share or signature_algorithms");
    }
    const clientGroups = u16ListExtension.decode(groupsData, "supported_groups");
    const shares = clientKeyShares.decode(sharesData);
    // one share per group, each for a group the client lists (RFC 8446 §4.2.8)
    if (
      new Set(shares.map((e) => e.group)).size !== shares.length ||
      shares.some((e) => !clientGroups.includes(e.group))
    ) {
      fail("illegal_parameter", "duplicate key share or one for an unlisted group");
    }
    const schemes = u16ListExtension.decode(schemesData, "signature_algorithms");

    if (this.retryGroup !== undefined) {
      // the second ClientHello must answer our HelloRetryRequest (RFC 8446 §4.1.2)
      const share = shares.length === 1 && groupByCode(shares[0].group) === this.retryGroup
        ? shares[0]
        : undefined;
      if (share === undefined || this.cipherSuite !== suite) {
        fail("illegal_parameter", "ClientHello does not follow HelloRetryRequest");
      }
      this.transcript.add(raw);
      return this.sendServerFlight(ch, suite, share, schemes);
    }

    // early data offered in the first ClientHello is declined by not echoing early_data (§4.2.10)
    if (findExtension(ch.extensions, ExtensionType.early_data) !== undefined) {
      this.earlyDataToSkip = EARLY_DATA_SKIP_LIMIT;
    }
    const group = this.chooseGroup(clientGroups, shares);
    const share = shares.find((s) => groupByCode(s.group) === group);
    this.cipherSuite = suite;
    this.transcript.add(raw);
    if (share !== undefined) return this.sendServerFlight(ch, suite, share, schemes);
    this.retryGroup = group;
    this.transcript.restartAfterRetry();
    this.transcript.add(this.sendHandshake({
      type: "hello_retry_request",
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.code,
      extensions: [
        { type: ExtensionType.supported_versions, data: serverSupportedVersion.encode(TLS13) },
        { type: ExtensionType.key_share, data: retryKeyShare.encode(NamedGroup[group]) },
      ],
    }));
  }

  private chooseGroup(clientGroups: readonly number[], shares: readonly KeyShareEntry[]): GroupName {
    const supported = this.groups.filter((g) => clientGroups.includes(NamedGroup[g]));
    if (supported.length === 0) fail("handshake_failure", "no key exchange group in common");
    if (this.options.preferServerGroups) return supported[0];
    for (const s of shares) {
      const g = groupByCode(s.group);
      if (g !== undefined && supported.includes(g)) return g;
    }
    return supported[0];
  }

  private selectCertificate(sni: string | undefined, schemes: readonly number[]): LoadedCertificate {
    if (this.options.selectCertificate) {
      const chosen = this.options.selectCertificate(sni);
      const loaded = this.certificates.find((c) => c.config === chosen);
      if (loaded === undefined) fail("handshake_failure", "no certificate for this server name");
      if (!schemes.includes(loaded.scheme)) {
        fail("handshake_failure", "the client cannot verify our certificate");
      }
      return loaded;
    }
    const byName = (c: LoadedCertificate) =>
      c.config.serverNames === undefined || (sni !== undefined && c.config.serverNames.includes(sni));
    const usable = this.certificates.filter((c) => schemes.includes(c.scheme));
    const loaded = usable.find((c) => sni !== undefined && c.config.serverNames?.includes(sni)) ??
      usable.find(byName);
    if (loaded === undefined) fail("handshake_failure", "no certificate the client can verify");
    return loaded;
  }

  private negotiateAlpn(ch: ClientHello): string | undefined {
    const ours = this.options.alpnProtocols;
    const data = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (ours === undefined || data === undefined) return undefined;
    const offered = alpnProtocols.decode(data);
    const chosen = this.options.selectAlpn
      ? this.options.selectAlpn(offered)
      : offered.find((p) => ours.includes(p));
    if (chosen === undefined) fail("no_application_protocol", `none of ${offered.join(",")} is served`);
    return chosen;
  }

  /** ServerHello, then EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished. */
  private sendServerFlight(
    ch: ClientHello,
    suite: CipherSuite,
    share: KeyShareEntry,
    schemes: number[],
  ): void {
    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    this.serverName = sni === undefined ? undefined : serverName.decode(sni);
    const certificate = this.selectCertificate(this.serverName, schemes);
    this.alpn = this.negotiateAlpn(ch);
    const group = groupByCode(share.group)!;
    const ours = generateKeyShare(group);
    const secret = sharedSecret(ours, share.keyExchange);
    this.transcript.add(this.sendHandshake({
      type: "server_hello",
      legacyVersion: 0x0303,
      random: randomBytes(32),
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.code,
      extensions: [
        { type: ExtensionType.supported_versions, data: serverSupportedVersion.encode(TLS13) },
        {
          type: ExtensionType.key_share,
          data: serverKeyShare.encode({ group: share.group, keyExchange: ours.keyPair.publicKey.raw }),
        },
      ],
    }));
    const hs = handshakeSecrets(secret, this.transcript.current());
    this.handshakeSecret = hs.handshakeSecret;
    this.clientHandshakeSecret = hs.clientHandshakeTrafficSecret;
    this.setWriteKeys(suite, hs.serverHandshakeTrafficSecret);
    this.setReadKeys(suite, hs.clientHandshakeTrafficSecret);

    const extensions: Extension[] = [];
    if (this.alpn !== undefined) {
      extensions.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: alpnProtocols.encode([this.alpn]),
      });
    }
    // acknowledging SNI with an empty server_name (RFC 6066 §3) when it chose the certificate
    if (this.serverName !== undefined) {
      extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    }
    this.transcript.add(this.sendHandshake({ type: "encrypted_extensions", extensions }));
    const request = this.options.requestClientCertificate;
    const requested = typeof request === "function" ? request(this.serverName) : request === true;
    if (requested) {
      this.transcript.add(this.sendHandshake({
        type: "certificate_request",
        context: new Uint8Array(0),
        extensions: [
          { type: ExtensionType.signature_algorithms, data: u16ListExtension.encode(SIMPLEX_CLIENT_SCHEMES) },
        ],
      }));
    }
    const entries = certificate.config.chain.map((certData) => ({ certData, extensions: [] }));
    this.transcript.add(this.sendHandshake({ type: "certificate", context: new Uint8Array(0), entries }));
    const signature = signWith(
      certificate.key,
      certificate.scheme,
      certificateVerifyContent("server", this.transcript.current()),
    );
    this.transcript.add(
      this.sendHandshake({ type: "certificate_verify", algorithm: certificate.scheme, signature }),
    );
    const verifyData = finishedVerifyData(hs.serverHandshakeTrafficSecret, this.transcript.current());
    this.transcript.add(this.sendHandshake({ type: "finished", verifyData }));
    const app = applicationSecrets(this.handshakeSecret, this.transcript.current());
    this.clientApplicationSecret = app.clientApplicationTrafficSecret;
    this.setWriteKeys(suite, app.serverApplicationTrafficSecret);
    this.phase = requested ? "wait_certificate" : "wait_finished";
  }

  private onClientCertificate(context: Uint8Array, chain: Uint8Array[], raw: Uint8Array): void {
    if (context.length !== 0) fail("illegal_parameter", "client Certificate with a wrong request context");
    this.transcript.add(raw);
    if (chain.length === 0) {
      this.phase = "wait_finished";
      return;
    }
    try {
      this.options.verifyClientChain?.(chain);
    } catch (e) {
      fail(
        "certificate_rejected",
        `client certificate chain rejected: ${e instanceof Error ? e.message : e}`,
        e,
      );
    }
    this.leafSpki = leafSubjectPublicKeyInfo(chain[0]);
    this.peerCertificates = chain;
    this.phase = "wait_certificate_verify";
  }

  private onFinished(verifyData: Uint8Array, raw: Uint8Array): void {
    const expected = finishedVerifyData(this.clientHandshakeSecret, this.transcript.current());
    if (!constantTimeEqual(expected, verifyData)) fail("bad_finished", "client Finished does not verify");
    this.transcript.add(raw);
    this.setReadKeys(this.cipherSuite!, this.clientApplicationSecret);
    // the session identifier is the client Finished as the server received it (smp.md §1.3)
    this.sessionId = verifyData.slice();
    this.peerFinished = true;
    this.phase = "connected";
    // what only the handshake needed: an idle connection should not keep it
    this.handshakeSecret =
      this.clientHandshakeSecret =
      this.clientApplicationSecret =
      this.leafSpki =
        RELEASED;
    this.transcript = new Transcript();
    this.completeHandshake();
  }
}

/** What a finished handshake's secrets are replaced with. */
const RELEASED = new Uint8Array(0);

/** How much declined 0-RTT data we drop before treating undecryptable records as fatal. */
const EARLY_DATA_SKIP_LIMIT = 1 << 16;

/** Client certificates SimpleX services use (and that we accept): Ed25519, Ed448, ECDSA P-256. */
const SIMPLEX_CLIENT_SCHEMES: readonly number[] = [...SIMPLEX_SIGNATURE_SCHEMES, 0x0403];

const loadedCertificates = new WeakMap<readonly ServerCertificate[], LoadedCertificate[]>();

/**
 * Parses the private keys once per certificates array, so a listener's connections share them;
 * throws TypeError for a configuration no handshake could use.
 */
export function loadCertificates(certificates: readonly ServerCertificate[]): LoadedCertificate[] {
  let loaded = loadedCertificates.get(certificates);
  if (loaded === undefined) {
    loaded = parseCertificates(certificates);
    loadedCertificates.set(certificates, loaded);
  }
  return loaded;
}

function parseCertificates(certificates: readonly ServerCertificate[]): LoadedCertificate[] {
  if (certificates.length === 0) throw new TypeError("a TLS server needs at least one certificate");
  return certificates.map((config) => {
    if (config.chain.length === 0) throw new TypeError("empty certificate chain");
    let key: KeyObject;
    try {
      key = loadPrivateKey(config.privateKey);
    } catch (e) {
      throw new TypeError("unreadable certificate private key (PKCS#8 DER or PEM expected)", { cause: e });
    }
    const scheme = schemeOfKey(key);
    if (scheme === undefined) throw new TypeError("certificate keys must be Ed25519, Ed448 or ECDSA P-256");
    return { config, key, scheme };
  });
}
