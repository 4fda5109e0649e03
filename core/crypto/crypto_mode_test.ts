/**
 * SIMPLEX_CRYPTO as a fresh process sees it: which secret box and whether libcrypto is chosen,
 * and the errors `native` and unknown values give.
 */
import assert from "node:assert/strict";
import { sodiumSalsaPoly } from "./_sodium.ts";
import { loadLibcrypto } from "./_libcrypto.ts";

interface Choice {
  readonly code: number;
  readonly out: string;
}

/** What a fresh `deno run` with these permission flags and SIMPLEX_CRYPTO chooses, or its error. */
async function chooseIn(flags: string[], mode: string): Promise<Choice> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const module = (name: string) => new URL(name, import.meta.url).href;
  try {
    await Deno.writeTextFile(
      script,
      `import { salsaPolyBackend } from "${module("./_backend.ts")}";
      import { libcrypto } from "${module("./_libcrypto.ts")}";
      try { console.log(salsaPolyBackend().name + " " + (libcrypto() ? "libcrypto" : "node:crypto")); }
      catch (e) { console.log(String(e)); Deno.exit(3); }`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, script],
      env: { SIMPLEX_CRYPTO: mode },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return { code: output.code, out: new TextDecoder().decode(output.stdout).trim() };
  } finally {
    await Deno.remove(script);
  }
}

const ALL = ["--allow-all"];
const NO_FFI = ["--allow-env", "--allow-read", "--deny-ffi"];

Deno.test("SIMPLEX_CRYPTO unset uses each library that loads, and the built-in code without FFI", async () => {
  const expected = `${sodiumSalsaPoly() ? "libsodium" : "wasm"} ${
    loadLibcrypto() ? "libcrypto" : "node:crypto"
  }`;
  assert.deepEqual(await chooseIn(ALL, ""), { code: 0, out: expected });
  assert.deepEqual(await chooseIn(NO_FFI, ""), { code: 0, out: "wasm node:crypto" });
});

Deno.test("SIMPLEX_CRYPTO=builtin keeps to WebAssembly and node:crypto", async () => {
  assert.deepEqual(await chooseIn(ALL, "builtin"), { code: 0, out: "wasm node:crypto" });
});

Deno.test("SIMPLEX_CRYPTO=native without FFI is a clear error", async () => {
  const refused = await chooseIn(NO_FFI, "native");
  assert.equal(refused.code, 3);
  assert.match(refused.out, /SIMPLEX_CRYPTO=native, but libsodium could not be loaded \(install libsodium23/);
});

Deno.test("SIMPLEX_CRYPTO with an unknown value is an error naming the choices", async () => {
  const refused = await chooseIn(ALL, "wasm");
  assert.equal(refused.code, 3);
  assert.match(refused.out, /SIMPLEX_CRYPTO=wasm: expected builtin or native/);
});
