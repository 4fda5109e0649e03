/** Counters, the stats backup (15 lines), the daily CSV line and the Prometheus file. */
import assert from "node:assert/strict";
import {
  decodeStatsBackup,
  encodeStatsBackup,
  FileServerStats,
  renderPrometheus,
  takeDailyStatsLine,
} from "../../xftp/stats.ts";

function sample(): FileServerStats {
  const s = new FileServerStats(new Date("2026-03-02T10:00:00Z"));
  s.inc("filesCreated", 3);
  s.inc("fileRecipients", 5);
  s.inc("filesUploaded", 2);
  s.inc("filesCount", 2);
  s.inc("filesSize", 131072);
  s.inc("fileDownloads", 4);
  s.filesDownloaded.add(new Uint8Array(16).fill(1));
  s.filesDownloaded.add(new Uint8Array(16).fill(2));
  return s;
}

Deno.test("the stats backup has the reference's 15 lines and restores every counter", () => {
  const s = sample();
  const text = encodeStatsBackup(s);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 15);
  assert.equal(lines[0], "fromTime=2026-03-02T10:00:00Z");
  assert.equal(lines[9], "filesDownloaded:");
  const restored = new FileServerStats();
  decodeStatsBackup(text, restored);
  assert.deepEqual(restored.counters, s.counters);
  assert.deepEqual(restored.fromTime, s.fromTime);
  assert.equal(restored.filesDownloaded.week.size, 2);
  assert.throws(() => decodeStatsBackup("fromTime=never\n", new FileServerStats()));
});

Deno.test("the daily line reports and resets the period counters; weeks roll on Mondays", () => {
  const s = sample();
  // 2026-03-02 is a Monday: the week is reported and cleared, the month is not
  const line = takeDailyStatsLine(s, new Date("2026-03-02T00:00:00Z"));
  assert.equal(line, "2026-03-02,3,5,2,0,2,2,,4,0,2,131072,0");
  assert.equal(s.counters.filesCreated, 0);
  assert.equal(s.counters.filesCount, 2); // a gauge stays
  assert.equal(s.filesDownloaded.month.size, 2);
});

Deno.test("the Prometheus file uses the reference's metric names", () => {
  const text = renderPrometheus(sample(), new Date("2026-03-02T11:00:00Z"));
  assert.match(text, /^# Recorded at: 2026-03-02T11:00:00Z$/m);
  assert.match(text, /^simplex_xftp_files_created 3$/m);
  assert.match(text, /^# TYPE simplex_xftp_files_size gauge$/m);
  assert.match(text, /^simplex_xftp_files_count_daily 2$/m);
  assert.match(text, /^simplex_xftp_info\{version="[^"]+"\} 1$/m);
});
