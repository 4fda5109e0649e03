/** The xftp CLI as users run it, against two xftp-server processes (XFTPCLI.hs equivalents). */
import assert from "node:assert/strict";
import { filesIn, freePort, simplex, spawnXftpServer } from "./_process.ts";
import { randomBytes } from "../../core/crypto/keys.ts";

Deno.test("send 17 MB to 2 recipients over 2 servers, info, recv both, sender description refused, del", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-cli-" });
  const s1 = await spawnXftpServer(`${dir}/s1`, freePort());
  const s2 = await spawnXftpServer(`${dir}/s2`, freePort());
  try {
    const content = randomBytes(17 * 1024 * 1024);
    await Deno.writeFile(`${dir}/testfile`, content);
    const sent = await simplex([
      "xftp",
      "send",
      `${dir}/testfile`,
      dir,
      "-n",
      "2",
      "-s",
      `${s1.address};${s2.address}`,
      "--tmp",
      dir,
    ]);
    assert.equal(sent.code, 0, sent.stderr + sent.stdout);
    assert.match(sent.stdout, /Sender file description: .*testfile\.xftp\/snd\.xftp\.private/);
    assert.match(sent.stdout, /Pass file descriptions to the recipient\(s\):\n.*rcv1\.xftp\n.*rcv2\.xftp/);
    assert.match(sent.stdout, /Web link:\nhttps:\/\/127\.0\.0\.1\/#/);
    const fdDir = `${dir}/testfile.xftp`;
    assert.equal((await Deno.stat(`${fdDir}/rcv1.xftp`)).mode! & 0o777, 0o600);

    const info = await simplex(["xftp", "info", `${fdDir}/rcv1.xftp`]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^Recipient file description\nFile download size: 18mb\nFile server\(s\):\n/);

    const bad = await simplex(["xftp", "recv", `${fdDir}/snd.xftp.private`, `${dir}/r0`, "-y"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not for the recipient/);

    for (const i of [1, 2]) {
      const r = await simplex(["xftp", "recv", `${fdDir}/rcv${i}.xftp`, `${dir}/r${i}`, "-y", "--tmp", dir]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`File downloaded: ${dir}/r${i}/testfile`));
      assert.match(r.stdout, /File description .*rcv\d\.xftp is deleted\./);
      assert.deepEqual(await Deno.readFile(`${dir}/r${i}/testfile`), content);
    }
    assert.equal(
      (await filesIn(s1.filesPath)) + (await filesIn(s2.filesPath)),
      6,
      "4M×4 + 1M×2 chunks stored",
    );
    const del = await simplex(["xftp", "del", `${fdDir}/snd.xftp.private`, "-y"]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await filesIn(s1.filesPath)) + (await filesIn(s2.filesPath)), 0);
  } finally {
    await s1.kill();
    await s2.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a download interrupted by the server dying leaves no file, and succeeds when run again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-cli-" });
  const port = freePort();
  let server = await spawnXftpServer(`${dir}/s`, port);
  try {
    // ten 4 MiB chunks: when the first is reported, at most four more have been requested
    const content = randomBytes(40 * 1024 * 1024);
    await Deno.writeFile(`${dir}/big.bin`, content);
    const sent = await simplex(["xftp", "send", `${dir}/big.bin`, dir, "-s", server.address, "--tmp", dir]);
    assert.equal(sent.code, 0, sent.stderr);
    const fd = `${dir}/big.bin.xftp/rcv1.xftp`;
    // kill the server as soon as the download has made progress
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../../cli/main.ts", import.meta.url).pathname,
        "xftp",
        "recv",
        fd,
        `${dir}/out`,
        "-y",
        "-r",
        "1",
        "--tmp",
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/Downloaded \d+%/.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    await server.kill("SIGKILL");
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    const status = await child.status;
    assert.notEqual(status.code, 0, `recv must fail once the server is gone (output: ${seen})`);
    assert.equal(await filesIn(`${dir}/out`), 0, "nothing under a final name");
    server = await spawnXftpServer(`${dir}/s`, port);
    const again = await simplex(["xftp", "recv", fd, `${dir}/out`, "-y", "--tmp", dir]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(await Deno.readFile(`${dir}/out/big.bin`), content);
  } finally {
    await server.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
