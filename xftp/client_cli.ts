/**
 * `simplex xftp send|recv|del|info`: the XFTP command-line client, with the reference `xftp`
 * CLI's options, files and output (xftp.md §4.4).
 */
import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { type Command, UsageError } from "../core/cli/command.ts";
import { parseServerAddress } from "../core/smp/address.ts";
import {
  deleteFile,
  receiveFile,
  sendFile,
  uniquePath,
  type XftpServerWithAuth,
} from "../core/xftp/agent.ts";
import {
  encodeFileDescription,
  encodeFileSize,
  type FileDescription,
  groupReplicasByServer,
  parseValidFileDescription,
} from "../core/xftp/description.ts";
import { encodeXftpServer } from "../core/xftp/server.ts";
import { fileWebLink, isWebLink, parseWebLink } from "../core/xftp/web_link.ts";

/** The reference CLI's default servers (simplexmq `Client/Presets.hs`). */
export const PRESET_XFTP_SERVERS = [
  "xftp://da1aH3nOT-9G8lV7bWamhxpDYdJ1xmW7j3JpGaDR5Ug=@xftp1.simplex.im",
  "xftp://5vog2Imy1ExJB_7zDZrkV1KDWi96jYFyy9CL6fndBVw=@xftp2.simplex.im",
  "xftp://PYa32DdYNFWi0uZZOprWQoQpIk5qyjRJ3EF7bVpbsn8=@xftp3.simplex.im",
  "xftp://k_GgQl40UZVV0Y4BX9ZTyMVqX5ZewcLW0waQIl7AYDE=@xftp4.simplex.im",
  "xftp://-bIo6o8wuVc4wpZkZD3tH-rCeYaeER_0lz1ffQcSJDs=@xftp5.simplex.im",
  "xftp://6nSvtY9pJn6PXWTAIMNl95E1Kk1vD7FM2TeOA64CFLg=@xftp6.simplex.im",
];

export const XFTP_USAGE = `Usage: simplex xftp <send|recv|del|info> [options]

Send and receive files through XFTP servers; compatible with the reference xftp CLI.

  simplex xftp send FILE [DIR] [-n COUNT] [-s SERVERS] [-r RETRY] [--tmp TMP]
      encrypt FILE, upload its chunks and write the descriptions into DIR/FILE.xftp/:
      rcv1.xftp … rcvN.xftp for the recipients, snd.xftp.private to delete the file later
      -n COUNT     number of recipients (default 1)
      -s SERVERS   semicolon-separated xftp://fingerprint[:password]@host[:port] (default: the
                   six preset SimpleX servers)
  simplex xftp recv DESCRIPTION|LINK [DIR] [-r RETRY] [--tmp TMP] [-y]
      download, verify and decrypt into DIR (default ~/Downloads); LINK is an https://…#… web link
      -y           delete the description file afterwards without asking
  simplex xftp del DESCRIPTION [-r RETRY] [-y]   delete the file from the servers (sender description)
  simplex xftp info DESCRIPTION                  show a description's size and servers
      -r RETRY     network retries (default 3)
      --tmp TMP    accepted for compatibility with the reference CLI; no temporary file is
                   written (chunks are encrypted and decrypted in memory, a few at a time)`;

type Out = (text: string) => void;

/** Progress: a bar on a terminal, plain lines otherwise. */
class Status {
  constructor(readonly out: Out, readonly terminal: boolean) {}
  #last = "";

  show(text: string): void {
    if (this.terminal) Deno.stdout.writeSync(new TextEncoder().encode(`${text.padEnd(25)}\r`));
    else if (text !== this.#last) this.out(text);
    this.#last = text;
  }

  progress(verb: string, done: number, total: number): void {
    const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
    if (!this.terminal) return this.show(`${verb} ${pct}%`);
    const width = 20;
    const filled = Math.round((pct / 100) * width);
    this.show(`${verb} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct}%`);
  }

  done(): void {
    if (this.terminal) Deno.stdout.writeSync(new TextEncoder().encode("\n"));
  }
}

function parseServers(text: string): XftpServerWithAuth[] {
  return text.split(";").filter((s) => s.trim() !== "").map((s) => {
    const a = parseServerAddress(s.trim(), "xftp");
    return { server: { keyHash: a.keyHash, hosts: a.hosts, port: a.port }, basicAuth: a.basicAuth };
  });
}

async function readDescription(path: string): Promise<FileDescription> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const r = parseValidFileDescription(text);
  if (!r.ok) throw new CliFailure(`Failed to parse file description: ${r.error}`);
  return r.value;
}

/** A failure the reference prints as one line, exiting 1. */
export class CliFailure extends Error {
  override name = "CliFailure";
}

const retryOption = { retry: { type: "string", short: "r", default: "3" } } as const;

function retries(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError("--retry must be a positive number");
  return n;
}

async function cmdSend(args: string[], out: Out, status: Status): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      n: { type: "string", short: "n", default: "1" },
      s: { type: "string", short: "s" },
      tmp: { type: "string" },
      verbose: { type: "boolean", short: "v" },
      ...retryOption,
    },
  });
  const [file, dir = "."] = positionals;
  if (!file || positionals.length > 2) throw new UsageError("send takes FILE [DIR]");
  const recipients = Number(values.n);
  if (!Number.isInteger(recipients) || recipients < 1) throw new UsageError("-n must be a positive number");
  const servers = parseServers(values.s ?? PRESET_XFTP_SERVERS.join(";"));
  status.show("Encrypting file...");
  const sent = await sendFile(file, {
    servers,
    recipients,
    retries: retries(values.retry),
    tmpDir: values.tmp ?? Deno.env.get("TMPDIR") ?? "/tmp",
    onEncrypted: () => status.show("Uploading file..."),
    onProgress: (done, total) => status.progress("Uploaded", done, total),
  });
  status.show("File uploaded!");
  status.done();
  const outDir = await uniquePath(dir, `${basename(file)}.xftp`);
  await Deno.mkdir(outDir, { recursive: true, mode: 0o700 });
  const sndPath = join(outDir, "snd.xftp.private");
  // descriptions hold the keys to the file: they are the user's alone
  await Deno.writeTextFile(sndPath, encodeFileDescription(sent.sender), { mode: 0o600 });
  const rcvPaths: string[] = [];
  for (const [i, fd] of sent.recipients.entries()) {
    const p = join(outDir, `rcv${i + 1}.xftp`);
    await Deno.writeTextFile(p, encodeFileDescription(fd), { mode: 0o600 });
    rcvPaths.push(p);
  }
  out(`\nSender file description: ${sndPath}`);
  out("Pass file descriptions to the recipient(s):");
  for (const p of rcvPaths) out(p);
  const link = sent.recipients[0] && await fileWebLink(sent.recipients[0]);
  if (link) out(`\nWeb link:\n${link}`);
}

async function removeDescription(path: string, yes: boolean, out: Out): Promise<void> {
  if (!yes) {
    if (!Deno.stdin.isTerminal()) return;
    const answer = prompt(`\nFile description ${path} can't be used again. Delete it (Y/n):`);
    if (answer !== null && !/^(y|)$/i.test(answer.trim())) return;
  }
  await Deno.remove(path);
  out(`\nFile description ${path} is deleted.`);
}

async function cmdRecv(args: string[], out: Out, status: Status): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tmp: { type: "string" },
      yes: { type: "boolean", short: "y" },
      verbose: { type: "boolean", short: "v" },
      ...retryOption,
    },
  });
  const [source, dir] = positionals;
  if (!source || positionals.length > 2) throw new UsageError("recv takes DESCRIPTION|LINK [DIR]");
  let fd: FileDescription;
  if (isWebLink(source)) {
    const r = await parseWebLink(source);
    if (!r.ok) {
      throw new CliFailure(r.error.startsWith("Invalid URL") ? r.error : `Invalid web link: ${r.error}`);
    }
    fd = r.value;
  } else fd = await readDescription(source);
  if (fd.party !== "recipient") throw new CliFailure("file description is not for the recipient");
  status.show("Downloading file...");
  const path = await receiveFile(fd, {
    retries: retries(values.retry),
    tmpDir: values.tmp ?? Deno.env.get("TMPDIR") ?? "/tmp",
    outputDir: dir ?? join(Deno.env.get("HOME") ?? ".", "Downloads"),
    onProgress: (done, total) => status.progress("Downloaded", done, total),
  });
  status.show(`File downloaded: ${path}`);
  status.done();
  if (!status.terminal) out("");
  if (!isWebLink(source)) await removeDescription(source, values.yes ?? false, out);
}

async function cmdDel(args: string[], out: Out, status: Status): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      yes: { type: "boolean", short: "y" },
      verbose: { type: "boolean", short: "v" },
      ...retryOption,
    },
  });
  if (positionals.length !== 1) throw new UsageError("del takes DESCRIPTION");
  const fd = await readDescription(positionals[0]);
  if (fd.party !== "sender") throw new CliFailure("file description is not for the sender");
  await deleteFile(fd, retries(values.retry));
  status.show("File deleted!");
  status.done();
  await removeDescription(positionals[0], values.yes ?? false, out);
}

async function cmdInfo(args: string[], out: Out): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError("info takes DESCRIPTION");
  const fd = await readDescription(positionals[0]);
  out(fd.party === "recipient" ? "Recipient file description" : "Sender file description");
  out(`File download size: ${encodeFileSize(fd.size)}`);
  out("File server(s):");
  for (const group of groupReplicasByServer(fd.chunkSize, fd.chunks)) {
    const size = group.reduce((n, r) => n + (r.chunkSize ?? fd.chunkSize), 0);
    out(`${encodeXftpServer(group[0].server)}: ${encodeFileSize(size)}`);
  }
}

export async function runXftpCommand(args: string[], out: Out = console.log): Promise<number> {
  const [sub, ...rest] = args;
  const status = new Status(out, Deno.stdout.isTerminal());
  try {
    switch (sub) {
      case "send":
        await cmdSend(rest, out, status);
        return 0;
      case "recv":
        await cmdRecv(rest, out, status);
        return 0;
      case "del":
        await cmdDel(rest, out, status);
        return 0;
      case "info":
        await cmdInfo(rest, out);
        return 0;
      default:
        throw new UsageError(sub === undefined ? "a command is needed" : `unknown xftp command '${sub}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(e.message);
    }
    status.done();
    console.error((e as Error).message);
    return 1;
  }
}

export const xftpCommand: Command = {
  name: "xftp",
  summary: "XFTP file client: send, recv, del, info",
  usage: XFTP_USAGE,
  run: (args) => runXftpCommand(args),
};
