import assert from "node:assert/strict";
import { parseXftpConfig, xftpIniContent } from "./config.ts";

const paths = { cfgDir: "/etc/opt/simplex-xftp", logDir: "/var/opt/simplex-xftp" };
const base = {
  host: "files.example.com",
  port: 443,
  storeLog: true,
  filesPath: "/srv/xftp",
  storageQuota: 1024 ** 3,
  cfgDir: paths.cfgDir,
};

Deno.test("the file-server.ini that init writes has no line the server would warn about", () => {
  for (
    const settings of [
      base,
      { ...base, controlPort: 5226, controlAdminPassword: "a", controlUserPassword: "u" },
      { ...base, storeLog: false, webStaticPath: "/srv/www" },
    ]
  ) {
    assert.deepEqual(parseXftpConfig(xftpIniContent(settings), paths).warnings, []);
  }
});

Deno.test("file-server.ini: unknown keys, misspelt sections and the reference's database keys are named", () => {
  const text = `[STORE_LOG]
enable: on
db_connection = postgresql://xftp@/xftp
[FILES]
path = /srv/xftp
storage_qouta = 1gb
[TRANSPORT]
port = 443
[INACTIVE_CLIENT]
disconnect = on
`;
  assert.deepEqual(parseXftpConfig(text, paths, "file-server.ini").warnings, [
    "file-server.ini:3: [STORE_LOG] db_connection is ignored: file records are kept in memory and the store log",
    "file-server.ini:6: unknown key [FILES] storage_qouta (did you mean storage_quota?); it is ignored",
    "file-server.ini:9: unknown section [INACTIVE_CLIENT] (did you mean [INACTIVE_CLIENTS]?); its keys are ignored",
  ]);
});
