/** file-server.ini reading, file sizes, and the store log line format. */
import assert from "node:assert/strict";
import { IniError } from "../../core/config/ini.ts";
import { generateKeyPair } from "../../core/crypto/keys.ts";
import { formatFileSize, parseFileSize, parseXftpConfig, xftpIniContent } from "../../xftp/config.ts";
import { decodeStoreLogRecord, encodeStoreLogRecord, type StoreLogRecord } from "../../xftp/store_log.ts";

const paths = { cfgDir: "/cfg", logDir: "/log" };

Deno.test("file sizes read and write as the reference's FileSize", () => {
  assert.equal(parseFileSize("100gb"), 100 * 1024 ** 3);
  assert.equal(parseFileSize("64kb"), 65536);
  assert.equal(parseFileSize("12345"), 12345);
  assert.equal(parseFileSize("1.5gb"), undefined);
  assert.equal(parseFileSize("10 tb"), undefined);
  assert.equal(formatFileSize(65536), "64kb");
  assert.equal(formatFileSize(18 * 1024 ** 2), "18mb");
  assert.equal(formatFileSize(100 * 1024 ** 3), "100gb");
  assert.equal(formatFileSize(1000), "1000");
});

Deno.test("the INI that init writes parses back to the same settings", () => {
  const text = xftpIniContent({
    host: "files.example.com",
    port: 443,
    storeLog: true,
    filesPath: "/srv/xftp",
    storageQuota: 100 * 1024 ** 3,
    cfgDir: "/cfg",
    controlPort: 5226,
    controlAdminPassword: "a",
    controlUserPassword: "u",
  });
  const c = parseXftpConfig(text, paths);
  assert.equal(c.host, "files.example.com");
  assert.equal(c.port, 443);
  assert.equal(c.storeLog, true);
  assert.equal(c.filesPath, "/srv/xftp");
  assert.equal(c.storageQuota, 100 * 1024 ** 3);
  assert.equal(c.fileExpirationHours, 48);
  assert.equal(c.newFiles, true);
  assert.equal(c.controlPort, 5226);
  assert.equal(c.controlAdminPassword, "a");
  assert.equal(c.inactiveClients, undefined);
  assert.equal(c.webCredential, undefined);
});

Deno.test("`key: value` lines are read as the reference's ini parser reads them", () => {
  const c = parseXftpConfig(
    "[STORE_LOG]\nenable: off\n[TRANSPORT]\nhost: localhost\nport: 8000\n[FILES]\npath: /tmp/x\n" +
      "[WEB]\ncert: /c/web.crt\nkey: /c/web.key\n[INACTIVE_CLIENTS]\ndisconnect = on\nttl = 5\ncheck_interval = 1\n",
    paths,
  );
  assert.equal(c.storeLog, false);
  assert.equal(c.port, 8000);
  assert.deepEqual(c.webCredential, { cert: "/c/web.crt", key: "/c/web.key" });
  assert.deepEqual(c.inactiveClients, { ttl: 5, checkInterval: 1 });
});

Deno.test("bad settings are errors that name the key", () => {
  const base = "[TRANSPORT]\nport = 443\n[FILES]\npath = /x\n";
  assert.throws(() => parseXftpConfig("[TRANSPORT]\nport = 443\n", paths), /\[FILES\] path is required/);
  assert.throws(() => parseXftpConfig(base + "storage_quota = lots\n", paths), /storage_quota/);
  assert.throws(() => parseXftpConfig(base + "[AUTH]\ncreate_password = a:b\n", paths), /create_password/);
  assert.throws(
    () => parseXftpConfig(base + "[INACTIVE_CLIENTS]\ndisconnect = on\n", paths),
    /ttl is required/,
  );
  assert.throws(() => parseXftpConfig(base + "[STORE_LOG]\nenable = maybe\n", paths), IniError);
  assert.throws(() => parseXftpConfig(base + "[WEB]\ncert = /c\n", paths), /cert and key/);
});

Deno.test("store log records round-trip in the reference's line format", () => {
  const key = generateKeyPair("Ed25519").publicKey;
  const id = new Uint8Array(16).fill(7);
  const records: StoreLogRecord[] = [
    {
      type: "FNEW",
      senderId: id,
      info: { sndKey: key, size: 65536, digest: new Uint8Array(32).fill(1) },
      createdAt: 1700000000 - (1700000000 % 3600),
      status: { type: "active" },
    },
    {
      type: "FADD",
      senderId: id,
      recipients: [{ recipientId: id, key }, { recipientId: new Uint8Array(16), key }],
    },
    { type: "FPUT", senderId: id, path: "/srv/xftp/BwcHBwcHBwcHBwcHBwcHBw==" },
    { type: "FBLK", senderId: id, info: { reason: "spam", notice: { ttl: 60 } } },
    { type: "FACK", recipientId: id },
    { type: "FDEL", senderId: id },
  ];
  for (const r of records) assert.deepEqual(decodeStoreLogRecord(encodeStoreLogRecord(r)), r);
  const line = encodeStoreLogRecord(records[0]);
  assert.match(line, /^FNEW BwcHBwcHBwcHBwcHBwcHBw== MCowBQYDK2VwAyEA\S+ 65536 \S+ \d+ active$/);
  // the status is optional when reading, as in older logs
  assert.deepEqual(decodeStoreLogRecord(line.replace(/ active$/, "")), records[0]);
  assert.equal(decodeStoreLogRecord("FNEW nope"), undefined);
  assert.equal(decodeStoreLogRecord("FPUT !!! x"), undefined);
});
