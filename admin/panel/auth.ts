/**
 * Who may use the panel: the control port's two roles and passwords, sessions held in memory,
 * and a per-address limit on failed logins. Addresses are only map keys here, never logged.
 */
import { constantTimeEqual } from "../../core/encoding/bytes.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { sha256 } from "../../core/crypto/hash.ts";

export type PanelRole = "user" | "admin";

export interface PanelPasswords {
  /** `control_port_admin_password`: everything */
  readonly admin?: string;
  /** `control_port_user_password`: read and moderate */
  readonly user?: string;
}

const utf8 = new TextEncoder();

/** Compares digests, so neither the length nor the content of a password leaks through timing. */
export function passwordMatches(given: string, expected: string | undefined): boolean {
  const ok = constantTimeEqual(sha256(utf8.encode(given)), sha256(utf8.encode(expected ?? "")));
  return ok && expected !== undefined && expected !== "";
}

/** Both passwords are always compared; the admin role wins when both match. */
export function roleFor(given: string, passwords: PanelPasswords): PanelRole | undefined {
  const admin = passwordMatches(given, passwords.admin);
  const user = passwordMatches(given, passwords.user);
  return admin ? "admin" : user ? "user" : undefined;
}

export function randomToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export interface PanelSession {
  readonly role: PanelRole;
  /** the token every POST of this session must carry */
  readonly csrf: string;
  expires: number;
}

export class PanelSessions {
  readonly #sessions = new Map<string, PanelSession>();

  /** `idleMs`: a session unused this long is gone */
  constructor(readonly idleMs = 30 * 60_000) {}

  create(role: PanelRole, now = Date.now()): { id: string; session: PanelSession } {
    const id = randomToken();
    const session = { role, csrf: randomToken(), expires: now + this.idleMs };
    this.#sessions.set(id, session);
    return { id, session };
  }

  /** The live session with this id, its idle time restarted. */
  get(id: string | undefined, now = Date.now()): PanelSession | undefined {
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    s.expires = now + this.idleMs;
    return s;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}

/** At most `maxFailures` failed logins per address within `windowMs`. */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  /** `maxAddresses` bounds the memory a flood of addresses can take; the oldest is forgotten first */
  constructor(readonly maxFailures = 5, readonly windowMs = 15 * 60_000, readonly maxAddresses = 10_000) {}

  allows(address: string, now = Date.now()): boolean {
    return this.#recent(address, now).length < this.maxFailures;
  }

  recordFailure(address: string, now = Date.now()): void {
    const failures = [...this.#recent(address, now), now];
    this.#failures.delete(address);
    this.#failures.set(address, failures);
    if (this.#failures.size > this.maxAddresses) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #recent(address: string, now: number): number[] {
    const recent = (this.#failures.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length === 0) this.#failures.delete(address);
    else this.#failures.set(address, recent);
    return recent;
  }
}
