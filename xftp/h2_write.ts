/**
 * Writing to a node:http2 stream (the server's responses) with back-pressure.
 */
import type http2 from "node:http2";

/** Resolves once the stream can take more; rejects if it closes first. Empty writes do nothing. */
export function writeStream(stream: http2.Http2Stream, bytes: Uint8Array): Promise<void> {
  if (bytes.length === 0) return Promise.resolve();
  if (stream.destroyed) return Promise.reject(new Error("stream closed"));
  if (stream.write(bytes)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off("close", closed);
      resolve();
    };
    const closed = () => {
      stream.off("drain", done);
      reject(new Error("stream closed"));
    };
    stream.once("drain", done);
    stream.once("close", closed);
  });
}
