import assert from "node:assert/strict";
import { Ini, IniError } from "./ini.ts";

const sample = `# comment
[STORE_LOG]
enable = on
expire_messages_days = 21
; another comment

[TRANSPORT]
port = 5223,443
host=example.com
`;

Deno.test("reads sections, keys and typed values", () => {
  const ini = Ini.parse(sample, "smp-server.ini");
  assert.equal(ini.bool("STORE_LOG", "enable", false), true);
  assert.equal(ini.int("STORE_LOG", "expire_messages_days", 1), 21);
  assert.deepEqual(ini.ports("TRANSPORT", "port"), [5223, 443]);
  assert.equal(ini.string("TRANSPORT", "host"), "example.com");
  assert.equal(ini.int("AUTH", "missing", 7), 7);
  assert.equal(ini.bool("AUTH", "new_queues", true), true);
});

Deno.test("bad files and values say where", () => {
  assert.throws(() => Ini.parse("key = v", "x.ini"), /x.ini:1: "key" is outside any \[SECTION\]/);
  assert.throws(() => Ini.parse("[A]\njunk", "x.ini"), /x.ini:2: expected/);
  const ini = Ini.parse("[A]\nflag = maybe\nn = 1x\nport = 70000\n", "x.ini");
  assert.throws(
    () => ini.bool("A", "flag", false),
    (e) => e instanceof IniError && /x.ini:2: \[A\] flag/.test(e.message),
  );
  assert.throws(() => ini.int("A", "n", 0), /x.ini:3/);
  assert.throws(() => ini.ports("A", "port"), /bad port "70000"/);
  assert.throws(() => ini.required("B", "x"), /\[B\] x is required/);
});
