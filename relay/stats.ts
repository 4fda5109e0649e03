/**
 * Server counters with the reference's names (Server/Stats.hs, smp.md §5.8). They count events,
 * never who caused them: no queue IDs, addresses or contents are kept here.
 */
export const COUNTERS = [
  "qCreated",
  "qSecured",
  "qDeletedAll",
  "qDeletedNew",
  "qDeletedSecured",
  "qBlocked",
  "qSub",
  "qSubAllB",
  "qSubAuth",
  "qSubDuplicate",
  "qSubProhibited",
  "qSubEnd",
  "ntfCreated",
  "ntfNewCreated",
  "ntfDeleted",
  "ntfSub",
  "ntfSubAuth",
  "ntfSubDuplicate",
  "msgSent",
  "msgSentAuth",
  "msgSentQuota",
  "msgSentLarge",
  "msgSentBlock",
  "msgRecv",
  "msgRecvGet",
  "msgGet",
  "msgGetNoMsg",
  "msgGetAuth",
  "msgGetDuplicate",
  "msgGetProhibited",
  "msgExpired",
  "msgSentNtf",
  "msgRecvNtf",
  "msgNtfs",
  "msgNtfNoSub",
  "msgNtfExpired",
  "pRelays",
  "pRelaysOwn",
  "pMsgFwds",
  "pMsgFwdsOwn",
  "pMsgFwdsRecv",
] as const;

export type Counter = (typeof COUNTERS)[number];

export class RelayStats {
  readonly startedAt = new Date();
  readonly counters: Record<Counter, number> = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<
    Counter,
    number
  >;

  inc(counter: Counter, by = 1): void {
    this.counters[counter] += by;
  }

  snapshot(): Record<Counter, number> {
    return { ...this.counters };
  }

  reset(): void {
    for (const c of COUNTERS) this.counters[c] = 0;
  }
}
