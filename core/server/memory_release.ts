/**
 * Gives memory freed after a burst of connections back to the system. Handshakes and the first
 * blocks of a connection allocate far more than an idle connection keeps; once that garbage is
 * freed, glibc's allocator keeps most of the pages unless asked to return them (`malloc_trim`).
 * A server calls `noteActivity()` when connections open or close; a short while after the last
 * call it trims, at most once per interval. Where there is no glibc, or no FFI permission, it
 * does nothing.
 */

type Trim = () => void;

let trim: Trim | null | undefined;

/** `malloc_trim(0)` from glibc, or null when it cannot be called here. */
function loadTrim(): Trim | null {
  try {
    if (Deno.build.os !== "linux") return null;
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
    return () => void lib.symbols.malloc_trim(0n);
  } catch {
    return null; // not glibc (musl has no malloc_trim), or FFI is unavailable
  }
}

/** Returns free pages of the allocator's heaps to the system now; false where that is unavailable. */
export function releaseFreedMemory(): boolean {
  trim ??= loadTrim();
  if (trim === null) return false;
  trim();
  return true;
}

export interface MemoryReleaserOptions {
  /** quiet time after the last activity before trimming */
  readonly quietMs?: number;
  /** the least time between two trims */
  readonly intervalMs?: number;
  /** what a trim does (releaseFreedMemory by default) */
  readonly release?: () => void;
}

export class MemoryReleaser {
  readonly #quietMs: number;
  readonly #intervalMs: number;
  readonly #release: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = 0;
  #closed = false;

  constructor(o: MemoryReleaserOptions = {}) {
    this.#quietMs = o.quietMs ?? 250;
    this.#intervalMs = o.intervalMs ?? 2000;
    this.#release = o.release ?? releaseFreedMemory;
  }

  /** Connections opened or closed: trim once things are quiet again. */
  noteActivity(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const wait = Math.max(this.#quietMs, this.#last + this.#intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#last = Date.now();
      this.#release();
    }, wait);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
