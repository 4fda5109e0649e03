/**
 * Batches of SMP transmissions over an established session: reading one block gives its
 * transmissions; writing packs transmissions into as few blocks as possible. Writes are
 * serialised so that blocks go out whole and in the order of the encryption chain.
 */
import { type BlockStream, type SmpSession } from "./smp_handshake.ts";
import { BLOCK_SIZE } from "./block.ts";
import { batchTransmissions, parseBatch } from "./batch.ts";

export type ReadResult =
  | { readonly ok: true; readonly transmissions: Uint8Array[] }
  /** the block could not be decrypted or parsed: answered with `ERR BLOCK` */
  | { readonly ok: false; readonly error: "BLOCK" };

export class SmpTransport {
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly stream: BlockStream, readonly session: SmpSession) {}

  get version(): number {
    return this.session.version;
  }

  get sessionId(): Uint8Array {
    return this.session.sessionId;
  }

  /** Reads the next block; rejects when the connection ends. */
  async read(): Promise<ReadResult> {
    const block = await this.stream.readExactly(BLOCK_SIZE);
    const opened = this.session.framing.open(block);
    if (!opened.ok) return { ok: false, error: "BLOCK" };
    const batch = parseBatch(opened.content);
    return batch.ok ? { ok: true, transmissions: batch.value } : { ok: false, error: "BLOCK" };
  }

  /**
   * Writes transmissions in order; resolves to the indexes of those too large for a block
   * (which were not sent).
   */
  write(transmissions: readonly Uint8Array[]): Promise<number[]> {
    const { batches, tooLarge } = batchTransmissions(transmissions);
    const done = this.#writing.then(async () => {
      for (const content of batches) await this.stream.write(this.session.framing.seal(content));
    });
    this.#writing = done.catch(() => {});
    return done.then(() => tooLarge);
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}
