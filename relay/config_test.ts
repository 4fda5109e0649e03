import assert from "node:assert/strict";
import { parseRelayConfig, relayIniContent } from "./config.ts";

const paths = { cfgDir: "/etc/opt/simplex", logDir: "/var/opt/simplex" };
const base = { host: "smp.example.com", ...paths, ports: [5223], persistence: true, logStats: false };

Deno.test("the smp-server.ini that init writes has no line the relay would warn about", () => {
  for (
    const settings of [
      base,
      { ...base, createPassword: "pw", logStats: true },
      { ...base, controlPort: 5224, controlAdminPassword: "a", controlUserPassword: "u" },
      { ...base, persistence: false, ports: [5223, 443] },
    ]
  ) {
    assert.deepEqual(parseRelayConfig(relayIniContent(settings), paths).warnings, []);
  }
});

Deno.test("a reference smp-server.ini: its store keys are ignored with the reason, typos are named", () => {
  const text = `[STORE_LOG]
enable = on
store_queues = memory
store_messages = journal
expire_mesages_days = 7
[TRANSPRT]
port = 443
[TRANSPORT]
port = 5223
websockets = off
`;
  assert.deepEqual(parseRelayConfig(text, paths, "smp-server.ini").warnings, [
    "smp-server.ini:3: [STORE_LOG] store_queues is ignored: this relay keeps queues and messages in smp-server.db (SQLite)",
    "smp-server.ini:4: [STORE_LOG] store_messages is ignored: this relay keeps queues and messages in smp-server.db (SQLite)",
    "smp-server.ini:5: unknown key [STORE_LOG] expire_mesages_days (did you mean expire_messages_days?); it is ignored",
    "smp-server.ini:6: unknown section [TRANSPRT] (did you mean [TRANSPORT]?); its keys are ignored",
    "smp-server.ini:10: [TRANSPORT] websockets is ignored: WebSocket transport is not served (it is deprecated in the reference)",
  ]);
});

Deno.test("a control port without passwords is a warning that says how to set them", () => {
  const text = "[TRANSPORT]\nport = 5223\ncontrol_port = 5224\n";
  assert.deepEqual(parseRelayConfig(text, paths, "smp-server.ini").warnings, [
    'smp-server.ini:3: [TRANSPORT] control_port is set, but [AUTH] has no control_port_admin_password or control_port_user_password, so the control port refuses every password; "simplex relay control-port" writes random ones',
  ]);
  const withPassword = `${text}[AUTH]\ncontrol_port_user_password = u\n`;
  assert.deepEqual(parseRelayConfig(withPassword, paths).warnings, []);
});
