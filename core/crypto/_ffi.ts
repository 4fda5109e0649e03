/**
 * Opening a system library through Deno's FFI, for the native backends (_sodium.ts, _libcrypto.ts).
 *
 * Internal.
 */

/** The symbols of the first of `names` (per OS) that opens with all of them; null where none does or FFI is not allowed. */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  names: Record<string, readonly string[]>,
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | null {
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  } catch {
    return null;
  }
  for (const name of names[Deno.build.os] ?? []) {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch {
      // not under this name (or without one of the symbols); try the next
    }
  }
  return null;
}
