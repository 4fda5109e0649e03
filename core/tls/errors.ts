/**
 * TLS failures as values with a code, so callers (and tests) can tell a rejected certificate from a
 * tampered record. Every fatal error also names the alert that was (or would have been) sent.
 */

/** Alert descriptions of RFC 8446 §6 (the ones TLS 1.3 still uses). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

export function alertName(alert: number): string {
  for (const [name, value] of Object.entries(AlertDescription)) if (value === alert) return name;
  return `alert_${alert}`;
}

/** What went wrong, one code per distinguishable failure. */
export type TlsErrorCode =
  | "not_tls" // the first bytes are not a TLS handshake record (e.g. HTTP or garbage)
  | "record_overflow" // a record longer than RFC 8446 §5.1/§5.2 allows
  | "decode_error" // a record or handshake message that does not parse
  | "unexpected_message" // a valid message at the wrong time
  | "bad_record_mac" // AEAD authentication failed (tampered or misdirected record)
  | "protocol_version" // the peer does not speak TLS 1.3
  | "handshake_failure" // no common cipher suite, group or signature scheme
  | "illegal_parameter" // a field with a value the spec forbids
  | "missing_extension" // a mandatory TLS 1.3 extension is absent
  | "no_application_protocol" // ALPN offered but nothing in common
  | "certificate_rejected" // the chain verification callback threw
  | "bad_certificate" // the certificate message or the leaf key is unusable
  | "bad_certificate_verify" // CertificateVerify signature does not verify
  | "bad_finished" // Finished verify_data mismatch
  | "peer_alert" // the peer sent a fatal alert (see `alert`)
  | "handshake_timeout" // the handshake did not complete in time
  | "connection_closed" // the transport ended before the handshake completed, or use after close
  | "internal_error";

export class TlsError extends Error {
  override name = "TlsError";
  /**
   * @param code what failed
   * @param alert the alert sent to the peer, or for "peer_alert" the one received
   */
  constructor(
    readonly code: TlsErrorCode,
    message: string,
    readonly alert: AlertDescription = AlertDescription.internal_error,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** The alert that accompanies each locally detected failure (RFC 8446 §6.2). */
export const ALERT_FOR_CODE: Record<TlsErrorCode, AlertDescription> = {
  not_tls: AlertDescription.unexpected_message,
  record_overflow: AlertDescription.record_overflow,
  decode_error: AlertDescription.decode_error,
  unexpected_message: AlertDescription.unexpected_message,
  bad_record_mac: AlertDescription.bad_record_mac,
  protocol_version: AlertDescription.protocol_version,
  handshake_failure: AlertDescription.handshake_failure,
  illegal_parameter: AlertDescription.illegal_parameter,
  missing_extension: AlertDescription.missing_extension,
  no_application_protocol: AlertDescription.no_application_protocol,
  certificate_rejected: AlertDescription.bad_certificate,
  bad_certificate: AlertDescription.bad_certificate,
  bad_certificate_verify: AlertDescription.decrypt_error,
  bad_finished: AlertDescription.decrypt_error,
  peer_alert: AlertDescription.close_notify,
  handshake_timeout: AlertDescription.user_canceled,
  connection_closed: AlertDescription.close_notify,
  internal_error: AlertDescription.internal_error,
};

/** Throws a TlsError carrying the alert RFC 8446 prescribes for this failure. */
export function fail(code: TlsErrorCode, message: string, cause?: unknown): never {
  throw new TlsError(code, message, ALERT_FOR_CODE[code], cause === undefined ? undefined : { cause });
}
