/**
 * Batches of SMP transmissions over an established session: reading one block gives its
 * transmissions; writing packs transmissions into as few blocks as possible. Writes are
 * serialised so that blocks go out whole and in the order of the encryption chain.
 */
import { type BlockStream, type SmpSession } from "./smp_handshake.ts";
import { BLOCK_SIZE } from "./block.ts";
import { encodePaddedBatch, groupTransmissions, parseBatch } from "./batch.ts";

export type ReadResult =
  | { readonly ok: true; readonly transmissions: Uint8Array[] }
  /** the block could not be decrypted or parsed: answered with `ERR BLOCK` */
  | { readonly ok: false; readonly error: "BLOCK" };

export class SmpTransport {
  #writing: Promise<void> = Promise.resolve();
  /** blocks sealed and waiting for the write in progress to finish */
  #sealed: Uint8Array[] = [];
  /** the write that will carry `#sealed`, once the one in progress finished */
  #nextWrite: Promise<void> | undefined;

  constructor(readonly stream: BlockStream, readonly session: SmpSession) {}

  get version(): number {
    return this.session.version;
  }

  get sessionId(): Uint8Array {
    return this.session.sessionId;
  }

  /** Reads the next block; rejects when the connection ends. */
  read(): Promise<ReadResult> {
    // not an async function: an idle connection waits here, and a suspended one costs more
    return this.stream.readExactly(BLOCK_SIZE).then((block): ReadResult => {
      const opened = this.session.framing.open(block);
      if (!opened.ok) return { ok: false, error: "BLOCK" };
      const batch = parseBatch(opened.content);
      return batch.ok ? { ok: true, transmissions: batch.value } : { ok: false, error: "BLOCK" };
    });
  }

  /**
   * Writes transmissions in order; resolves to the indexes of those too large for a block
   * (which were not sent). Blocks are sealed at once, in the order of the calls (the order of the
   * encryption chain); the blocks of calls made while a write is in progress go out together in
   * the next one, in one write to the stream.
   */
  write(transmissions: readonly Uint8Array[]): Promise<number[]> {
    const { groups, tooLarge } = groupTransmissions(transmissions);
    if (groups.length === 0) return this.#writing.then(() => tooLarge);
    const framing = this.session.framing;
    for (const g of groups) this.#sealed.push(framing.sealPadded(encodePaddedBatch(g, framing.paddedLength)));
    if (!this.#nextWrite) {
      const next = this.#writing.then(() => {
        this.#nextWrite = undefined;
        const blocks = this.#sealed;
        this.#sealed = [];
        return this.stream.write(blocks.length === 1 ? blocks[0] : concatBlocks(blocks));
      });
      this.#nextWrite = next;
      this.#writing = next.catch(() => {});
    }
    return this.#nextWrite.then(() => tooLarge);
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

function concatBlocks(blocks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.length * BLOCK_SIZE);
  blocks.forEach((b, i) => out.set(b, i * BLOCK_SIZE));
  return out;
}
