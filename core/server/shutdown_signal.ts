/**
 * A server runs until the operator or the service manager stops it: SIGINT from a terminal,
 * SIGTERM from systemd or Docker. Either starts the same orderly shutdown.
 */
export function untilShutdownSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}
