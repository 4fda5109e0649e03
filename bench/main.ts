/**
 * `deno task bench`: every benchmark, each printing its figures beside a baseline measured in the
 * same run. Pass names to run a subset: `deno task bench crypto tls`.
 */
const BENCHMARKS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  crypto: () => import("./crypto.ts"),
  tls: () => import("./tls.ts"),
  relay: () => import("./relay.ts"),
  xftp: () => import("./xftp.ts"),
};

const selected = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHMARKS);
for (const name of selected) {
  const load = BENCHMARKS[name];
  if (!load) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(BENCHMARKS).join(", ")}`);
    Deno.exit(2);
  }
  console.log(`\n== ${name}`);
  await (await load()).run();
}
