import assert from "node:assert/strict";
import { chooseHost, IncompatibleHostError } from "./connect.ts";

const socksProxy = { hostname: "127.0.0.1", port: 9050 };
const both = ["smp.example.com", "abcdefgh.onion"];

Deno.test("chooseHost: public by default; onion only with host_mode = onion and a SOCKS proxy", () => {
  assert.equal(chooseHost(both), "smp.example.com");
  assert.equal(chooseHost(both, { hostMode: "onion", socksProxy }), "abcdefgh.onion");
  assert.equal(chooseHost(both, { hostMode: "onion" }), "smp.example.com", "no proxy: the public host");
  assert.equal(chooseHost(["abcdefgh.onion"]), "abcdefgh.onion", "falls back to the first host");
});

Deno.test("chooseHost: required_host_mode refuses a relay without the wanted host", () => {
  assert.throws(() => chooseHost(["abcdefgh.onion"], { requiredHostMode: true }), IncompatibleHostError);
  assert.throws(() =>
    chooseHost(["smp.example.com"], { hostMode: "onion", socksProxy, requiredHostMode: true })
  );
  assert.throws(() => chooseHost([]), IncompatibleHostError);
});
