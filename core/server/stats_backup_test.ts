import assert from "node:assert/strict";
import { restoreStatsFile, StatsBackupError } from "./stats_backup.ts";

Deno.test("a restored backup moves to .bak; no backup is false; a bad one stays in place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/stats.log`;
    assert.equal(await restoreStatsFile(path, () => assert.fail("no file, no call")), false);
    await Deno.writeTextFile(path, "qCreated=5\n");
    let seen = "";
    assert.equal(await restoreStatsFile(path, (text) => (seen = text)), true);
    assert.equal(seen, "qCreated=5\n");
    assert.equal(await Deno.readTextFile(`${path}.bak`), "qCreated=5\n");
    await Deno.writeTextFile(path, "garbage\n");
    await assert.rejects(
      restoreStatsFile(path, () => {
        throw new StatsBackupError("bad");
      }),
      StatsBackupError,
    );
    assert.equal(await Deno.readTextFile(path), "garbage\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
