/**
 * The relay under bench/relay.ts: `simplex relay start` in a process of its own, so that its
 * resident memory is the relay's alone. With `--v8-flags=--expose-gc`, SIGUSR2 runs a full garbage
 * collection and prints `gc <Deno.memoryUsage() as JSON>`, so a reading can tell live data from
 * garbage not yet collected.
 */
import { runRelayCommand } from "../relay/cli.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  Deno.addSignalListener("SIGUSR2", () => {
    gc();
    console.log(`gc ${JSON.stringify(Deno.memoryUsage())}`);
  });
}
Deno.exit(await runRelayCommand(["start"]));
