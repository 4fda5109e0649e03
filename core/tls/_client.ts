/**
 * The client handshake (RFC 8446 §2, §4): one ClientHello with shares for the first group(s),
 * HelloRetryRequest handling (§4.1.4), server authentication through the caller's chain callback
 * plus CertificateVerify, and an empty Certificate (or a configured one) when the server asks.
 */
import { randomBytes } from "../crypto/keys.ts";
import { bytesEqual, constantTimeEqual } from "../encoding/bytes.ts";
import { fail } from "./errors.ts";
import { CIPHER_SUITES, type CipherSuite, cipherSuiteByCode, type CipherSuiteName } from "./_cipher_suite.ts";
import { TlsEngine } from "./_engine.ts";
import {
  alpnProtocols,
  clientKeyShares,
  clientSupportedVersions,
  cookie,
  type Extension,
  ExtensionType,
  findExtension,
  retryKeyShare,
  serverKeyShare,
  serverName,
  serverSupportedVersion,
  TLS13,
  u16ListExtension,
} from "./_extensions.ts";
import { applicationSecrets, finishedVerifyData, handshakeSecrets, Transcript } from "./_key_schedule.ts";
import {
  generateKeyShare,
  groupByCode,
  type GroupName,
  type KeyShare,
  NamedGroup,
  sharedSecret,
} from "./_key_share.ts";
import { leafSubjectPublicKeyInfo } from "./_leaf_key.ts";
import type { ClientHello, Handshake, HelloRetryRequest, ServerHello } from "./_messages.ts";
import {
  certificateVerifyContent,
  loadPrivateKey,
  schemeOfKey,
  signWith,
  SIMPLEX_SIGNATURE_SCHEMES,
  verifyCertificateVerify,
} from "./_signature.ts";

export interface ClientEngineOptions {
  /** Checks the server's DER chain (leaf first); throw to reject it. The SimpleX rule lives here. */
  readonly verifyServerChain: (chain: Uint8Array[]) => void;
  /** SNI host name; none is sent unless given (SimpleX clients send none). */
  readonly serverName?: string;
  readonly alpnProtocols?: readonly string[];
  /** In preference order; default ChaCha20-Poly1305 then AES-128-GCM. */
  readonly cipherSuites?: readonly CipherSuiteName[];
  /** Supported groups in preference order; default X448, X25519 like the reference client. */
  readonly groups?: readonly GroupName[];
  /** Groups to send a key share for in the first ClientHello; default only the first group. */
  readonly keyShareGroups?: readonly GroupName[];
  /** signature_algorithms; default ed448, ed25519 (SimpleX). */
  readonly signatureSchemes?: readonly number[];
  /** A certificate to present when the server requests one (e.g. an SMP service certificate). */
  readonly certificate?: { readonly chain: readonly Uint8Array[]; readonly privateKey: Uint8Array | string };
}

type ClientState =
  | "wait_server_hello"
  | "wait_encrypted_extensions"
  | "wait_certificate_or_request"
  | "wait_certificate"
  | "wait_certificate_verify"
  | "wait_finished"
  | "connected";

export class ClientEngine extends TlsEngine {
  private phase: ClientState = "wait_server_hello";
  private readonly transcript = new Transcript();
  private readonly suites: CipherSuite[];
  private readonly groups: readonly GroupName[];
  private readonly schemes: readonly number[];
  private shares: KeyShare[];
  private clientHello: ClientHello;
  private retried = false;
  private retrySuite: number | undefined;
  private handshakeSecret: Uint8Array = new Uint8Array(0);
  private clientHandshakeSecret: Uint8Array = new Uint8Array(0);
  private serverHandshakeSecret: Uint8Array = new Uint8Array(0);
  private certificateRequestContext: Uint8Array | undefined;
  private certificateRequestSchemes: number[] = [];
  /** whether the server asked for a certificate and got this client's (SMP services need to know) */
  certificateSent = false;
  private leafSpki: Uint8Array = new Uint8Array(0);

  constructor(private readonly options: ClientEngineOptions) {
    super();
    this.suites = (options.cipherSuites ?? ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]).map((
      n,
    ) => CIPHER_SUITES[n]);
    this.groups = options.groups ?? ["X448", "X25519"];
    this.schemes = options.signatureSchemes ?? SIMPLEX_SIGNATURE_SCHEMES;
    this.shares = (options.keyShareGroups ?? this.groups.slice(0, 1)).map(generateKeyShare);
    this.serverName = options.serverName;
    this.clientHello = this.buildClientHello(undefined);
    // the initial ClientHello goes out with legacy_record_version 0x0301 (RFC 8446 §5.1)
    this.transcript.add(this.sendHandshake(this.clientHello, 0x0301));
  }

  private buildClientHello(retryCookie: Uint8Array | undefined): ClientHello {
    const o = this.options;
    const extensions: Extension[] = [
      { type: ExtensionType.supported_versions, data: clientSupportedVersions.encode([TLS13]) },
      {
        type: ExtensionType.supported_groups,
        data: u16ListExtension.encode(this.groups.map((g) => NamedGroup[g])),
      },
      { type: ExtensionType.signature_algorithms, data: u16ListExtension.encode(this.schemes) },
      {
        type: ExtensionType.key_share,
        data: clientKeyShares.encode(
          this.shares.map((s) => ({ group: NamedGroup[s.group], keyExchange: s.keyPair.publicKey.raw })),
        ),
      },
    ];
    if (o.serverName !== undefined) {
      extensions.push({ type: ExtensionType.server_name, data: serverName.encode(o.serverName) });
    }
    if (o.alpnProtocols?.length) {
      extensions.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: alpnProtocols.encode(o.alpnProtocols),
      });
    }
    if (retryCookie) extensions.push({ type: ExtensionType.cookie, data: cookie.encode(retryCookie) });
    return {
      type: "client_hello",
      legacyVersion: 0x0303,
      random: this.clientHello?.random ?? randomBytes(32),
      legacySessionId: new Uint8Array(0),
      cipherSuites: this.suites.map((s) => s.code),
      legacyCompressionMethods: Uint8Array.of(0),
      extensions,
    };
  }

  protected onHandshake(m: Handshake, raw: Uint8Array): void {
    switch (this.phase) {
      case "wait_server_hello":
        if (m.type === "hello_retry_request") return this.onHelloRetryRequest(m, raw);
        if (m.type === "server_hello") return this.onServerHello(m, raw);
        break;
      case "wait_encrypted_extensions":
        if (m.type === "encrypted_extensions") return this.onEncryptedExtensions(m.extensions, raw);
        break;
      case "wait_certificate_or_request":
        if (m.type === "certificate_request") {
          if (m.context.length !== 0) {
            fail("illegal_parameter", "non-empty certificate_request_context in handshake");
          }
          const schemes = findExtension(m.extensions, ExtensionType.signature_algorithms);
          if (schemes === undefined) {
            fail("missing_extension", "CertificateRequest without signature_algorithms");
          }
          this.certificateRequestSchemes = u16ListExtension.decode(schemes, "signature_algorithms");
          this.certificateRequestContext = m.context;
          this.transcript.add(raw);
          this.phase = "wait_certificate";
          return;
        }
        if (m.type === "certificate") {
          return this.onCertificate(
            m.context,
            m.entries.map((e) => e.certData),
            raw,
          );
        }
        break;
      case "wait_certificate":
        if (m.type === "certificate") {
          return this.onCertificate(
            m.context,
            m.entries.map((e) => e.certData),
            raw,
          );
        }
        break;
      case "wait_certificate_verify":
        if (m.type === "certificate_verify") {
          const content = certificateVerifyContent("server", this.transcript.current());
          verifyCertificateVerify(this.leafSpki, m.algorithm, this.schemes, content, m.signature);
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

  private onHelloRetryRequest(m: HelloRetryRequest, raw: Uint8Array): void {
    if (this.retried) fail("unexpected_message", "second HelloRetryRequest");
    this.retried = true;
    this.checkServerVersion(m.extensions);
    if (!bytesEqual(m.legacySessionIdEcho, this.clientHello.legacySessionId)) {
      fail("illegal_parameter", "legacy_session_id_echo mismatch");
    }
    if (!this.suites.some((s) => s.code === m.cipherSuite)) {
      fail("illegal_parameter", "HRR cipher suite not offered");
    }
    this.retrySuite = m.cipherSuite;
    const selected = findExtension(m.extensions, ExtensionType.key_share);
    const retryCookie = findExtension(m.extensions, ExtensionType.cookie);
    let group: GroupName | undefined;
    if (selected !== undefined) {
      group = groupByCode(retryKeyShare.decode(selected));
      // the group must be one we support and not one we already sent a share for (§4.1.4)
      if (group === undefined || !this.groups.includes(group) || this.shares.some((s) => s.group === group)) {
        fail("illegal_parameter", "HelloRetryRequest selected an unusable group");
      }
      this.shares = [generateKeyShare(group)];
    } else if (retryCookie === undefined) {
      fail("illegal_parameter", "HelloRetryRequest that would not change the ClientHello");
    }
    this.transcript.restartAfterRetry();
    this.transcript.add(raw);
    this.clientHello = this.buildClientHello(
      retryCookie === undefined ? undefined : cookie.decode(retryCookie),
    );
    this.transcript.add(this.sendHandshake(this.clientHello));
  }

  private checkServerVersion(extensions: readonly Extension[]): void {
    const version = findExtension(extensions, ExtensionType.supported_versions);
    if (version === undefined || serverSupportedVersion.decode(version) !== TLS13) {
      fail("protocol_version", "the server did not select TLS 1.3");
    }
  }

  private onServerHello(m: ServerHello, raw: Uint8Array): void {
    this.checkServerVersion(m.extensions);
    if (!bytesEqual(m.legacySessionIdEcho, this.clientHello.legacySessionId)) {
      fail("illegal_parameter", "legacy_session_id_echo mismatch");
    }
    const suite = cipherSuiteByCode(m.cipherSuite);
    if (suite === undefined || !this.suites.includes(suite)) {
      fail("illegal_parameter", "cipher suite not offered");
    }
    if (this.retrySuite !== undefined && this.retrySuite !== m.cipherSuite) {
      fail("illegal_parameter", "cipher suite differs from HelloRetryRequest");
    }
    if (findExtension(m.extensions, ExtensionType.pre_shared_key) !== undefined) {
      fail("illegal_parameter", "pre_shared_key was not offered");
    }
    const shareData = findExtension(m.extensions, ExtensionType.key_share);
    if (shareData === undefined) fail("missing_extension", "ServerHello without key_share");
    const serverShare = serverKeyShare.decode(shareData);
    const ours = this.shares.find((s) => NamedGroup[s.group] === serverShare.group);
    if (ours === undefined) fail("illegal_parameter", "ServerHello key_share for a group we did not share");
    this.cipherSuite = suite;
    this.transcript.add(raw);
    const secrets = handshakeSecrets(sharedSecret(ours, serverShare.keyExchange), this.transcript.current());
    this.handshakeSecret = secrets.handshakeSecret;
    this.clientHandshakeSecret = secrets.clientHandshakeTrafficSecret;
    this.serverHandshakeSecret = secrets.serverHandshakeTrafficSecret;
    this.setReadKeys(suite, secrets.serverHandshakeTrafficSecret);
    this.phase = "wait_encrypted_extensions";
  }

  private onEncryptedExtensions(extensions: readonly Extension[], raw: Uint8Array): void {
    const alpn = findExtension(extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn !== undefined) {
      const chosen = alpnProtocols.decode(alpn);
      if (chosen.length !== 1 || !this.options.alpnProtocols?.includes(chosen[0])) {
        fail("illegal_parameter", "server selected an ALPN protocol we did not offer");
      }
      this.alpn = chosen[0];
    }
    for (
      const forbidden of [
        ExtensionType.key_share,
        ExtensionType.supported_versions,
        ExtensionType.pre_shared_key,
      ]
    ) {
      if (findExtension(extensions, forbidden) !== undefined) {
        fail("illegal_parameter", "forbidden in EncryptedExtensions");
      }
    }
    this.transcript.add(raw);
    this.phase = "wait_certificate_or_request";
  }

  private onCertificate(context: Uint8Array, chain: Uint8Array[], raw: Uint8Array): void {
    if (context.length !== 0) fail("illegal_parameter", "server Certificate with a request context");
    if (chain.length === 0) fail("decode_error", "server sent no certificate"); // RFC 8446 §4.4.2.4
    try {
      this.options.verifyServerChain(chain);
    } catch (e) {
      fail(
        "certificate_rejected",
        `server certificate chain rejected: ${e instanceof Error ? e.message : e}`,
        e,
      );
    }
    this.leafSpki = leafSubjectPublicKeyInfo(chain[0]);
    this.peerCertificates = chain;
    this.transcript.add(raw);
    this.phase = "wait_certificate_verify";
  }

  private onFinished(verifyData: Uint8Array, raw: Uint8Array): void {
    const expected = finishedVerifyData(this.serverHandshakeSecret, this.transcript.current());
    if (!constantTimeEqual(expected, verifyData)) fail("bad_finished", "server Finished does not verify");
    this.transcript.add(raw);
    const app = applicationSecrets(this.handshakeSecret, this.transcript.current());
    const suite = this.cipherSuite!;
    this.setWriteKeys(suite, this.clientHandshakeSecret);
    if (this.certificateRequestContext !== undefined) this.sendClientCertificate();
    const clientFinished = finishedVerifyData(this.clientHandshakeSecret, this.transcript.current());
    this.transcript.add(this.sendHandshake({ type: "finished", verifyData: clientFinished }));
    this.setReadKeys(suite, app.serverApplicationTrafficSecret);
    this.setWriteKeys(suite, app.clientApplicationTrafficSecret);
    this.sessionId = clientFinished;
    this.peerFinished = true;
    this.phase = "connected";
    this.completeHandshake();
  }

  /** Certificate (empty unless configured and acceptable) and, for a non-empty one, CertificateVerify (§4.4.2). */
  private sendClientCertificate(): void {
    const configured = this.options.certificate;
    const key = configured === undefined ? undefined : loadPrivateKey(configured.privateKey);
    const scheme = key === undefined ? undefined : schemeOfKey(key);
    const usable = scheme !== undefined && this.certificateRequestSchemes.includes(scheme);
    const entries = usable ? configured!.chain.map((certData) => ({ certData, extensions: [] })) : [];
    this.certificateSent = usable;
    const context = this.certificateRequestContext!;
    this.transcript.add(this.sendHandshake({ type: "certificate", context, entries }));
    if (!usable) return;
    const content = certificateVerifyContent("client", this.transcript.current());
    const signature = signWith(key!, scheme!, content);
    this.transcript.add(this.sendHandshake({ type: "certificate_verify", algorithm: scheme!, signature }));
  }
}
