/** The XFTP server's configuration page: every key file-server.ini is read for, secrets masked. */
import assert from "node:assert/strict";
import { xftpConfigEntries } from "../../xftp/panel_source.ts";
import { parseXftpConfig } from "../../xftp/config.ts";
import { MASKED } from "../../core/server/panel_source.ts";
import { keysRead } from "./_ini_keys.ts";

/** Every optional part on, so that the server reads every key it knows. */
const FULL_INI = `[AUTH]\ncreate_password = createpw\ncontrol_port_user_password = userpw\n` +
  `[TRANSPORT]\nport = 443\ncontrol_port = 5226\n[FILES]\npath = /f\nstorage_quota = 10gb\n` +
  `[INACTIVE_CLIENTS]\ndisconnect = on\nttl = 60\ncheck_interval = 30\n` +
  `[WEB]\nstatic_path = /w\ncert = /c/web.crt\nkey = /c/web.key\n` +
  `[INFORMATION]\nsource_code = https://example.org/src\n[ADMIN]\nport = 5227\n`;

Deno.test("xftp panel source: the configuration page has every key the server reads, as it reads them", () => {
  const paths = { cfgDir: "/c", logDir: "/l" };
  const read = keysRead(() => parseXftpConfig(FULL_INI, paths));
  const entries = xftpConfigEntries(parseXftpConfig(FULL_INI, paths));
  assert.deepEqual(
    [...read].filter((k) => !entries.some((e) => `${e.section}.${e.key}` === k)),
    [],
    "keys the server reads that the page leaves out",
  );
  const value = (section: string, key: string) =>
    entries.find((e) => e.section === section && e.key === key)?.value;
  assert.equal(value("FILES", "storage_quota"), "10gb");
  assert.equal(value("STORE_LOG", "expire_files_hours"), "48", "a default, filled in");
  assert.equal(value("INFORMATION", "source_code"), "https://example.org/src");
  assert.equal(value("WEB", "key"), "/c/web.key", "a path, not a secret");
  assert.equal(value("AUTH", "control_port_user_password"), MASKED);
  assert.equal(value("ADMIN", "user_password"), MASKED, "the control port's, by default");
  assert.doesNotMatch(JSON.stringify(entries), /createpw|userpw/);
});
