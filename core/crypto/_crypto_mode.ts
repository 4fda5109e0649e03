/**
 * SIMPLEX_CRYPTO: whether system crypto libraries may stand in for the built-in code.
 *
 * - unset: libsodium (the secret box) and OpenSSL's libcrypto (TLS records, SHA-2 of files) are
 *   used where they load through FFI, the built-in code elsewhere;
 * - `builtin`: only the built-in code (WebAssembly and node:crypto), as on a system without them;
 * - `native`: both libraries must load; a missing one is an error at start-up, not a slow server.
 *
 * Internal: read by _backend.ts and _libcrypto.ts.
 */
const CRYPTO_ENV = "SIMPLEX_CRYPTO";

export type CryptoMode = "auto" | "builtin" | "native";

const MODES: Record<string, CryptoMode> = { "": "auto", builtin: "builtin", native: "native" };

let mode: CryptoMode | undefined;

/** The mode SIMPLEX_CRYPTO asks for (auto where the variable cannot be read); throws on an unknown value. */
export function cryptoMode(): CryptoMode {
  return mode ??= parse(readEnv());
}

function readEnv(): string {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: CRYPTO_ENV }).state !== "granted") return "";
    return Deno.env.get(CRYPTO_ENV) ?? "";
  } catch {
    return "";
  }
}

function parse(value: string): CryptoMode {
  const m = MODES[value];
  if (!m) throw new Error(`${CRYPTO_ENV}=${value}: expected builtin or native (or unset)`);
  return m;
}

/** The error a `native` mode gives when `library` does not load. */
export function missingLibrary(library: string, install: string): Error {
  return new Error(
    `${CRYPTO_ENV}=native, but ${library} could not be loaded (install ${install}, and allow FFI)`,
  );
}
