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
        // what arrived together goes in one push per read buffer, not one per 16 KiB record
        connection.readLent().then((pieces) => {
          if (pieces === null) {
            reading = false;
            duplex.push(null);
            return;
          }
          let more = true;
          for (const piece of pieces) more = duplex.push(piece);
          // a flowing reader (node:http2) takes each chunk in its 'data' handler, and is done
          // with it when the push returns; a chunk the stream buffered instead is kept, so the
          // memory it lies in must never be reused
          if (duplex.readableLength > 0) connection.keepLentReads();
          if (more) next();
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
    // writes queued while one is in flight go out together, in full records sealed straight
    // from the pieces: node:http2 writes each 16 KiB DATA frame with its 9-byte header, which
    // alone would take a full record and a short one
    writev(chunks: { chunk: Uint8Array }[], callback) {
      connection.write(chunks.map((c) => c.chunk)).then(() => callback(), callback);
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
