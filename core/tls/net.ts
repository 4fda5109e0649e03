/**
 * TLS over Deno's TCP: `connect` for clients, `listen` for servers. A failed handshake closes only
 * its own connection; the listener keeps serving the others.
 */
import { type ConnectionOptions, TlsConnection } from "./connection.ts";
import { TlsError } from "./errors.ts";
import { ClientEngine, type ClientEngineOptions } from "./_client.ts";
import { loadCertificates, ServerEngine, type ServerEngineOptions } from "./_server.ts";

export interface ConnectOptions extends ClientEngineOptions, ConnectionOptions {
  readonly hostname: string;
  readonly port: number;
}

/** Opens a TCP connection and completes a TLS 1.3 handshake as the client. */
export async function connect(options: ConnectOptions): Promise<TlsConnection> {
  const tcp = await Deno.connect({ hostname: options.hostname, port: options.port });
  tcp.setNoDelay(true);
  const connection = new TlsConnection(new ClientEngine(options), tcp, options);
  await connection.handshake();
  return connection;
}

export interface ListenOptions extends ServerEngineOptions, ConnectionOptions {
  /** 0 for an ephemeral port (see `addr`). */
  readonly port: number;
  readonly hostname?: string;
  /** Told about each connection whose handshake failed (the connection is already closed). */
  readonly onHandshakeError?: (error: TlsError) => void;
}

/** Accepts TCP connections and yields those whose TLS handshake completed. */
export class TlsListener implements AsyncIterable<TlsConnection> {
  private readonly ready: TlsConnection[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly tcp: Deno.Listener<Deno.TcpConn, Deno.NetAddr>,
    private readonly options: ListenOptions,
  ) {
    this.acceptLoop();
  }

  get addr(): Deno.NetAddr {
    return this.tcp.addr;
  }

  /** The next connection with a completed handshake, or null once the listener is closed. */
  async accept(): Promise<TlsConnection | null> {
    while (this.ready.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.ready.shift() ?? null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TlsConnection> {
    for (let c = await this.accept(); c !== null; c = await this.accept()) yield c;
  }

  /** Stops accepting; established connections stay open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tcp.close();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async acceptLoop(): Promise<void> {
    while (!this.closed) {
      let tcp: Deno.TcpConn;
      try {
        tcp = await this.tcp.accept();
      } catch {
        break; // the listener was closed
      }
      tcp.setNoDelay(true);
      let connection: TlsConnection;
      try {
        connection = new TlsConnection(new ServerEngine(this.options), tcp, this.options);
      } catch (e) {
        tcp.close();
        this.options.onHandshakeError?.(
          e instanceof TlsError ? e : new TlsError("internal_error", String(e)),
        );
        continue;
      }
      connection.handshake().then(() => {
        if (this.closed) return void connection.close();
        this.ready.push(connection);
        this.wake();
      }, (error: TlsError) => this.options.onHandshakeError?.(error));
    }
    this.close();
  }
}

/** Listens on TCP (127.0.0.1 by default) for TLS 1.3 clients. */
export function listen(options: ListenOptions): TlsListener {
  loadCertificates(options.certificates); // a bad certificate or key fails here, not per connection
  const tcp = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
    transport: "tcp",
  });
  return new TlsListener(tcp, options);
}
