/**
 * The panel's view of a server reached over its control port (`simplex admin serve`): the figures
 * come from `stats` (and a relay's `server-info`) through the same `liveValues` that the in-process
 * sources and `simplex admin stats` use; moderation runs the control port's commands. What a control
 * port cannot tell (the daily history, the configuration, the metrics file) is left out.
 *
 * One connection per server, opened on first use and again after it failed.
 */
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import type { BlockingInfo } from "../../core/smp/errors.ts";
import type { ItemAction, ItemLookup, PanelOverview, PanelSource } from "../../core/server/panel_source.ts";
import {
  CommandFailedError,
  type ControlAddress,
  ControlClient,
  ControlProtocolError,
  type ControlRole,
  UnsupportedCommandError,
} from "../control_client.ts";

/** A control port's answer to block, unblock, delete or status for an ID it does not know. */
const notFound = (e: unknown) => e instanceof CommandFailedError && /\bAUTH\b/.test(e.serverMessage);

export interface RemoteServer {
  readonly source: PanelSource;
  /** the role the control port gave the password */
  readonly role: ControlRole;
  close(): Promise<void>;
}

/** Connects and authenticates once, so that a wrong password or address fails at start. */
export async function connectRemoteServer(address: ControlAddress, password: string): Promise<RemoteServer> {
  let client: ControlClient | undefined = await ControlClient.connect(address);
  let role: ControlRole;
  try {
    role = await client.auth(password);
  } catch (e) {
    await client.close();
    throw e;
  }
  const kind = client.kind;
  const use = async <T>(f: (c: ControlClient) => Promise<T>): Promise<T> => {
    if (!client) {
      client = await ControlClient.connect(address);
      await client.auth(password);
    }
    const c = client;
    try {
      return await f(c);
    } catch (e) {
      // a connection that failed (closed, timed out, garbled) is opened again next time
      if (e instanceof ControlProtocolError) {
        client = undefined;
        await c.close();
      }
      throw e;
    }
  };
  const change = async (run: (c: ControlClient, id: string) => Promise<unknown>, id: Uint8Array) => {
    try {
      await use((c) => run(c, encodeBase64Url(id)));
      return { type: "done" } as ItemAction;
    } catch (e) {
      if (notFound(e)) return { type: "notFound" } as ItemAction;
      const quota = e instanceof CommandFailedError
        ? /reached limit of (\d+) queues blocked daily/.exec(e.serverMessage)?.[1]
        : undefined;
      if (quota !== undefined) return { type: "quotaExceeded", quota: Number(quota) } as ItemAction;
      throw e;
    }
  };
  const source: PanelSource = {
    kind,
    async overview(): Promise<PanelOverview> {
      try {
        return await use((c) => c.overview());
      } catch (e) {
        // a reference server has no `overview`
        if (e instanceof UnsupportedCommandError) return { kind };
        throw e;
      }
    },
    async live() {
      const s = await use((c) => c.statsWithFigures());
      const quota = kind === "xftp" ? (await source.overview()).storageQuota : undefined;
      return {
        at: new Date(),
        fromTime: s.fromTime ? new Date(s.fromTime) : undefined,
        values: s.figures,
        limits: quota !== undefined ? { filesSize: quota } : undefined,
      };
    },
    lookup: kind === "smp"
      ? async (id: Uint8Array): Promise<ItemLookup> => {
        try {
          const s = await use((c) => c.status(encodeBase64Url(id)));
          return {
            type: "found",
            status: s.status,
            blocking: s.blockReason ? { reason: s.blockReason } : undefined,
            updatedAt: s.updatedAt !== undefined ? new Date(s.updatedAt * 1000) : undefined,
          };
        } catch (e) {
          if (notFound(e)) return { type: "notFound" };
          throw e;
        }
      }
      : undefined,
    block: (id: Uint8Array, info: BlockingInfo) => change((c, b64) => c.block(b64, info.reason), id),
    unblock: kind === "smp" ? (id: Uint8Array) => change((c, b64) => c.unblock(b64), id) : undefined,
    delete: (id: Uint8Array) => change((c, b64) => c.delete(b64), id),
  };
  return {
    source,
    role,
    close: async () => {
      await client?.close();
      client = undefined;
    },
  };
}
