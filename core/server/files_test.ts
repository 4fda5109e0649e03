import assert from "node:assert/strict";
import { exists, removeTree, writeFileAtomic } from "./files.ts";

Deno.test("exists tells a missing path from a present one; removeTree takes a directory or nothing", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a`, "a");
  assert.equal(await exists(`${dir}/a`), true);
  assert.equal(await exists(`${dir}/b`), false);
  await removeTree(dir);
  assert.equal(await exists(dir), false);
  await removeTree(dir);
});

Deno.test("writeFileAtomic: readers see the old or the new file, never a part, and no temp file stays", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const name = "metrics.txt";
    const path = `${dir}/${name}`;
    const versions = ["a", "b", "c", "d"].map((ch) => ch.repeat(1 << 20));
    await writeFileAtomic(path, versions[0]);
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i < 12; i++) await writeFileAtomic(path, versions[i % versions.length]);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const text = await Deno.readTextFile(path);
      assert.ok(versions.includes(text), `a partial file of ${text.length} bytes`);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [name]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
