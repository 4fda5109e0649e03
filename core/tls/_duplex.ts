/**
 * A Node Duplex view of a TLS connection, for libraries that want a socket-like stream:
 * `http2.createServer().emit("connection", duplex)` or `http2.connect(url, { createConnection })`.
 */
import { Duplex } from "node:stream";
import type { TlsConnection } from "./connection.ts";

export function toDuplex(connection: TlsConnection): Duplex {
  let reading = false;
  const duplex: Duplex = new Duplex({
    // when the peer ends the connection, end ours too, so that `close` fires and users such as
    // node:http2 sessions learn the socket is gone
    allowHalfOpen: false,
    read() {
      if (reading) return;
      reading = true;
      const next = (): void => {
        connection.read().then((chunk) => {
          if (chunk === null) {
            reading = false;
            duplex.push(null);
          } else if (duplex.push(chunk)) next();
          else reading = false;
        }, (error) => {
          reading = false;
          duplex.destroy(error);
        });
      };
      next();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      connection.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      connection.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      connection.close().finally(() => callback(error));
    },
  });
  return duplex;
}
