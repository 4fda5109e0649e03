import assert from "node:assert/strict";
import { Ini, IniError, setIniValue } from "./ini.ts";

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

Deno.test("warnings name unknown sections and keys with their line, and guess the misspelling", () => {
  const ini = Ini.parse(
    "[TRANSPRT]\nport = 5223\n[STORE_LOG]\nenable = on\nenabel = off\nstore_queues = memory\nenable = off\n[X]\n",
    "smp-server.ini",
  );
  const known = { TRANSPORT: ["port"], STORE_LOG: ["enable"] };
  assert.deepEqual(ini.warnings(known, { "STORE_LOG.store_queues": "queues are kept in smp-server.db" }), [
    "smp-server.ini:1: unknown section [TRANSPRT] (did you mean [TRANSPORT]?); its keys are ignored",
    "smp-server.ini:5: unknown key [STORE_LOG] enabel (did you mean enable?); it is ignored",
    "smp-server.ini:6: [STORE_LOG] store_queues is ignored: queues are kept in smp-server.db",
    "smp-server.ini:7: [STORE_LOG] enable is set again; the last value counts",
    "smp-server.ini:8: unknown section [X]; its keys are ignored",
  ]);
  assert.deepEqual(
    Ini.parse(sample).warnings({
      STORE_LOG: ["enable", "expire_messages_days"],
      TRANSPORT: ["port", "host"],
    }),
    [],
  );
});

Deno.test("setIniValue replaces a key, uncomments a commented one, or adds it, keeping the rest", () => {
  const text = "[AUTH]\n# a comment\n# control_port_admin_password = \n\n[TRANSPORT]\nport = 5223\n";
  const a = setIniValue(text, "AUTH", "control_port_admin_password", "secret");
  assert.equal(a, "[AUTH]\n# a comment\ncontrol_port_admin_password = secret\n\n[TRANSPORT]\nport = 5223\n");
  const b = setIniValue(a, "TRANSPORT", "control_port", "5224");
  assert.equal(
    b,
    "[AUTH]\n# a comment\ncontrol_port_admin_password = secret\n\n[TRANSPORT]\nport = 5223\ncontrol_port = 5224\n",
  );
  assert.equal(setIniValue(b, "TRANSPORT", "port", "443"), b.replace("port = 5223", "port = 443"));
  assert.equal(setIniValue("[A]\nx = 1", "B", "y", "2"), "[A]\nx = 1\n\n[B]\ny = 2\n");
  assert.equal(Ini.parse(setIniValue(text, "AUTH", "k", "v")).string("AUTH", "k"), "v");
});
