/**
 * A Node Duplex view of a TLS connection, for libraries that want a socket-like stream:
 * `http2.createServer().emit("connection", duplex)` or `http2.connect(url, { createConnection })`.
 */
import { Duplex } from "node:stream";
import type { TlsConnection } from "./connection.ts";

/** Bytes handed to the connection and not yet written beyond which writes wait (back-pressure). */
const MAX_UNWRITTEN = 1 << 20;

export function toDuplex(connection: TlsConnection): Duplex {
  let reading = false;
  // What is written in one go (node:http2 writes each frame of a burst, a 16 KiB DATA frame with
  // its 9-byte header, one after another) is gathered and sent as one, in full records sealed
  // straight from the pieces: a frame sent alone would take a full record and a short one.
  let gathered: Uint8Array[] = [];
  let gatheredLength = 0;
  let unwritten = 0;
  let held: ((error?: Error | null) => void)[] = [];
  const gather = (chunks: Uint8Array[], callback: (error?: Error | null) => void): void => {
    if (gathered.length === 0) queueMicrotask(send);
    for (const chunk of chunks) {
      gathered.push(chunk);
      gatheredLength += chunk.length;
    }
    // taken at once (so the next frame of the burst comes straight away), unless too much waits
    if (unwritten + gatheredLength <= MAX_UNWRITTEN) callback();
    else held.push(callback);
  };
  const send = (): void => {
    if (gathered.length === 0) return;
    const parts = gathered;
    const length = gatheredLength;
    const callbacks = held;
    gathered = [];
    gatheredLength = 0;
    held = [];
    unwritten += length;
    connection.write(parts).then(() => {
      unwritten -= length;
      for (const callback of callbacks) callback();
    }, (error) => {
      for (const callback of callbacks) callback(error);
      duplex.destroy(error); // the writes already taken learn it this way
    });
  };
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
          if (duplex.readableLength > 0) connection.keepReads();
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
      gather([chunk], callback);
    },
    writev(chunks: { chunk: Uint8Array }[], callback) {
      gather(chunks.map((c) => c.chunk), callback);
    },
    final(callback) {
      if (gathered.length > 0) send();
      connection.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      connection.close().finally(() => callback(error));
    },
  });
  return duplex;
}
