/**
 * The records of the queues used last, so that each command of an active queue does not read and
 * decode its row again, nor rebuild its keys (the parsed forms core/crypto/keys.ts keeps per key
 * object live as long as the record). Bounded, and filled by lookups only: an idle relay holds
 * next to none of its queues in memory.
 */
import { toHex } from "../../core/encoding/bytes.ts";
import type { QueueParty, QueueRecord } from "./types.ts";

export class QueueCache {
  /** `party ‖ hex(id)` → record, least recently used first */
  readonly #records = new Map<string, QueueRecord>();
  /** hex(recipient ID) → the keys its records are cached under */
  readonly #byRecipient = new Map<string, string[]>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#records.size;
  }

  get(party: QueueParty, id: Uint8Array): QueueRecord | undefined {
    const key = party + toHex(id);
    const q = this.#records.get(key);
    if (q) {
      this.#records.delete(key);
      this.#records.set(key, q);
    }
    return q;
  }

  set(party: QueueParty, id: Uint8Array, q: QueueRecord): void {
    const key = party + toHex(id);
    if (this.#records.has(key)) return;
    if (this.#records.size >= this.capacity) this.#evict(this.#records.keys().next().value!);
    this.#records.set(key, q);
    const recipient = toHex(q.recipientId);
    const keys = this.#byRecipient.get(recipient);
    if (keys) keys.push(key);
    else this.#byRecipient.set(recipient, [key]);
  }

  /** Drops a queue's records: called on every change to a queue. */
  forget(recipientId: Uint8Array): void {
    const recipient = toHex(recipientId);
    for (const key of this.#byRecipient.get(recipient) ?? []) this.#records.delete(key);
    this.#byRecipient.delete(recipient);
  }

  clear(): void {
    this.#records.clear();
    this.#byRecipient.clear();
  }

  #evict(key: string): void {
    const q = this.#records.get(key)!;
    this.#records.delete(key);
    const recipient = toHex(q.recipientId);
    const keys = this.#byRecipient.get(recipient)!.filter((k) => k !== key);
    if (keys.length > 0) this.#byRecipient.set(recipient, keys);
    else this.#byRecipient.delete(recipient);
  }
}
