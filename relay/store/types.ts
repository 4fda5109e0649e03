/**
 * The relay's state as the protocol sees it (QueueRec in simplexmq's QueueStore, smp.md §5.1),
 * and the narrow interface every store implements.
 */
import type { EntityStatus } from "../../core/smp/errors.ts";
import type { AuthPublicKey, QueueLinkData, QueueMode } from "../../core/smp/mod.ts";
import type { ServiceRole } from "../../core/smp/handshake.ts";

export type QueueStatus = EntityStatus;

/** `EntityCounts`' service fields (QueueStore/Types.hs). */
export interface ServiceCounts {
  readonly rcvServiceCount: number;
  readonly ntfServiceCount: number;
  readonly rcvServiceQueuesCount: number;
  readonly ntfServiceQueuesCount: number;
}

export interface NotifierCredentials {
  readonly notifierId: Uint8Array;
  readonly notifierKey: AuthPublicKey;
  readonly rcvNtfDhSecret: Uint8Array;
  /** the notifier service (v16+) the queue's notifications go to, once it subscribed as one */
  readonly ntfServiceId?: Uint8Array;
}

/** `ServiceRec`: a service client (smp.md §2.6), known by the hash of its identity certificate. */
export interface ServiceRecord {
  readonly serviceId: Uint8Array;
  readonly role: ServiceRole;
  /** DER certificates of its TLS chain, leaf first */
  readonly certChain: readonly Uint8Array[];
  /** SHA-256 of the identity certificate */
  readonly certHash: Uint8Array;
  /** seconds since the epoch */
  readonly createdAt: number;
}

export interface QueueRecord {
  readonly recipientId: Uint8Array;
  readonly recipientKeys: readonly AuthPublicKey[];
  /** DH secret with the recipient's key from NEW; the server's own private key is not kept */
  readonly rcvDhSecret: Uint8Array;
  readonly senderId: Uint8Array;
  readonly senderKey?: AuthPublicKey;
  readonly queueMode?: QueueMode;
  readonly link?: { readonly linkId: Uint8Array; readonly data: QueueLinkData };
  readonly notifier?: NotifierCredentials;
  readonly status: QueueStatus;
  /** the day (seconds at 00:00 UTC) the queue was last used */
  readonly updatedAt?: number;
  /** the messaging service (v16+) that created or subscribed to the queue */
  readonly rcvServiceId?: Uint8Array;
}

export type StoredMessage =
  | {
    readonly kind: "message";
    readonly msgId: Uint8Array;
    readonly ts: number;
    readonly notification: boolean;
    readonly body: Uint8Array;
  }
  /** the marker a recipient gets when its queue filled up */
  | { readonly kind: "quota"; readonly msgId: Uint8Array; readonly ts: number };

/** What ACK needs to know of the message it removed (its body is not read back). */
export interface DeletedMessage {
  readonly kind: StoredMessage["kind"];
  readonly msgId: Uint8Array;
  readonly ts: number;
  readonly notification: boolean;
}

export interface StoredNotification {
  readonly notifierId: Uint8Array;
  readonly msgId: Uint8Array;
  readonly ts: number;
  readonly nonce: Uint8Array;
  readonly encMeta: Uint8Array;
}

export type QueueParty = "recipient" | "sender" | "notifier" | "link";

export type WriteResult =
  | { readonly type: "written"; readonly message: StoredMessage; readonly wasEmpty: boolean }
  /** the queue is full: a QUOTA marker was stored (or already waits) and the sender gets ERR QUOTA */
  | { readonly type: "quota" };

/**
 * What the relay needs of persistence. Every method is synchronous and runs inside the current
 * `transaction`, so a block of commands is committed as one unit before any response leaves.
 */
export interface RelayStore {
  transaction<T>(fn: () => T): T;

  /** false when an ID collides with an existing queue */
  addQueue(q: QueueRecord): boolean;
  getQueue(party: QueueParty, id: Uint8Array): QueueRecord | undefined;
  setSenderKey(recipientId: Uint8Array, key: AuthPublicKey): void;
  setRecipientKeys(recipientId: Uint8Array, keys: readonly AuthPublicKey[]): void;
  setLink(recipientId: Uint8Array, linkId: Uint8Array, data: QueueLinkData): boolean;
  deleteLink(recipientId: Uint8Array): void;
  /**
   * The service with this certificate hash, or `candidate` stored as a new one; throws
   * ServiceRoleError when the certificate belongs to a service of another role
   */
  getCreateService(candidate: ServiceRecord): Uint8Array;
  allServices(): Iterable<ServiceRecord>;
  /** associates the queue's recipient or notifier side with a service, or ends the association */
  setQueueService(
    recipientId: Uint8Array,
    side: "recipient" | "notifier",
    serviceId: Uint8Array | undefined,
  ): void;
  /** queues whose notifier side is associated with the service */
  serviceNotifierCount(serviceId: Uint8Array): number;
  /** services of the messaging and notifier roles, and the queues associated with each role's services */
  serviceCounts(): ServiceCounts;
  /** false when the notifier ID collides; a new notifier is not associated with any service */
  setNotifier(recipientId: Uint8Array, notifier: NotifierCredentials): boolean;
  deleteNotifier(recipientId: Uint8Array): void;
  setStatus(recipientId: Uint8Array, status: QueueStatus): void;
  setUpdatedAt(recipientId: Uint8Array, day: number): void;
  /** deletes the queue, its messages and notifications */
  deleteQueue(recipientId: Uint8Array): void;

  /** stores a message, or a QUOTA marker when the queue holds `quota` messages (MsgStore `writeMsg`) */
  writeMessage(
    recipientId: Uint8Array,
    message: StoredMessage & { kind: "message" },
    quota: number,
  ): WriteResult;
  peekMessage(recipientId: Uint8Array): StoredMessage | undefined;
  /** deletes the head when its ID is `msgId`, and says what it was */
  deleteHead(recipientId: Uint8Array, msgId: Uint8Array): DeletedMessage | undefined;
  /** removes messages older than `before` from the head, stopping at a newer one; returns how many */
  expireMessages(recipientId: Uint8Array, before: number): number;
  /** expiry over all queues */
  expireAllMessages(before: number): number;

  addNotification(n: StoredNotification): void;
  takeNotifications(notifierId: Uint8Array): StoredNotification[];
  /** the notifications of every queue whose notifier side is associated with the service */
  takeServiceNotifications(serviceId: Uint8Array): StoredNotification[];
  expireNotifications(before: number): number;

  /** messages and QUOTA markers waiting in one queue */
  queueSize(recipientId: Uint8Array): number;
  queueCount(): number;
  /** queues with notifier credentials */
  notifierCount(): number;
  /** notifications waiting for their notification server */
  notificationCount(): number;
  messageCount(): number;

  /** every queue in recipient ID byte order (the order the reference writes its compacted store log in) */
  allQueues(): Iterable<QueueRecord>;
  /** the messages and QUOTA markers waiting in one queue, oldest first */
  allMessages(recipientId: Uint8Array): Iterable<StoredMessage>;
  /**
   * Appends a message or QUOTA marker as it was exported, without the quota check; a QUOTA marker
   * leaves the queue over quota until it is drained (as `importMessages` does upstream).
   */
  importMessage(recipientId: Uint8Array, message: StoredMessage): void;
  /** pending notifications in notifier ID byte order, oldest first for each notifier */
  allNotifications(): Iterable<StoredNotification>;

  close(): void;
}

/** A certificate already identifies a service of another role (`getCreateService` → SERVICE). */
export class ServiceRoleError extends Error {
  override name = "ServiceRoleError";
}
