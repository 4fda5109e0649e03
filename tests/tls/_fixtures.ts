/** Certificate chains shared by the tests of one process, made once and removed at exit. */
import { makeChain, type TestChain, type TestKeyAlgorithm } from "./_certs.ts";

const chains = new Map<string, Promise<TestChain>>();

export function chain(algorithm: TestKeyAlgorithm, cn = "localhost"): Promise<TestChain> {
  const id = `${algorithm}/${cn}`;
  let c = chains.get(id);
  if (c === undefined) {
    c = makeChain(algorithm, cn);
    chains.set(id, c);
    c.then((made) =>
      globalThis.addEventListener("unload", () => Deno.removeSync(made.dir, { recursive: true }))
    );
  }
  return c;
}
