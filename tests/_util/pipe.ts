/** An in-memory pair of block streams, for protocol tests that need no sockets. */
export interface MemoryStream {
  readExactly(n: number): Promise<Uint8Array>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

class Channel {
  chunks: Uint8Array[] = [];
  length = 0;
  closed = false;
  waiter?: () => void;

  push(data: Uint8Array) {
    this.chunks.push(data.slice());
    this.length += data.length;
    this.waiter?.();
  }

  async take(n: number): Promise<Uint8Array> {
    while (this.length < n) {
      if (this.closed) throw new Deno.errors.UnexpectedEof("stream closed");
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.length -= n;
    return out;
  }

  close() {
    this.closed = true;
    this.waiter?.();
  }
}

export function memoryPipe(): [MemoryStream, MemoryStream] {
  const ab = new Channel();
  const ba = new Channel();
  const end = (send: Channel, receive: Channel): MemoryStream => ({
    readExactly: (n) => receive.take(n),
    write: (data) => {
      if (send.closed) return Promise.reject(new Deno.errors.BrokenPipe("stream closed"));
      send.push(data);
      return Promise.resolve();
    },
    close: () => {
      send.close();
      receive.close();
      return Promise.resolve();
    },
  });
  return [end(ab, ba), end(ba, ab)];
}
