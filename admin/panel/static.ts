/** The panel's own assets, served from its origin so that the CSP can stay `default-src 'self'`. */

/**
 * Long addresses, IDs and paths break anywhere rather than push the page wider than a phone's
 * screen (390 px); the ID box fits a 44-character base64url ID.
 */
export const PANEL_CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{background:#0053d0;padding:.5em 1em;line-height:2}nav a,nav button{color:#fff;margin-right:1em}
nav button{background:none;border:1px solid #fff;cursor:pointer}
form.inline{display:inline}main{padding:1em 2em}
dt{font-weight:bold;margin-top:.5em}dd{margin-left:0}
code,dd,p,table.settings td{overflow-wrap:anywhere}
table{border-collapse:collapse;max-width:100%}th,td{text-align:left;padding:.2em 1em .2em 0;vertical-align:top}
.error{color:#b00}.notice{color:#060}.hint{color:#555;max-width:40em}
form.lookup label{display:block;margin-bottom:.5em}
input.id{display:block;font-family:ui-monospace,monospace;width:46ch;max-width:100%;box-sizing:border-box;
padding:.25em .3em;line-height:1.4}
section.actions form{margin:.5em 0}
svg.qr{display:block;width:200px;height:200px;max-width:100%;margin-top:.5em}
svg.chart{max-width:100%;height:auto}.axis{stroke:#888}
.first{fill:#0053d0}.second{fill:#5fb85f}.partial{opacity:.45}
section+section{border-top:1px solid #ccc;margin-top:1em}.label{font-size:12px}.end{text-anchor:end}
tr.partial td{font-style:italic;color:#555}
table.live td,table.live th{vertical-align:middle}table.live td{white-space:nowrap}
figure.spark{margin:.1em 0;display:flex;flex-wrap:wrap;align-items:center;column-gap:.5em;white-space:normal}
svg.spark{display:block;width:160px;height:36px;max-width:100%}
.spark-line{fill:none;stroke:#0053d0;stroke-width:1.5;stroke-linejoin:round}.spark-dot{fill:#0053d0}
figure.spark figcaption{color:#555;font-size:.75rem}
.spark-name{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
div.wide{overflow-x:auto}
@media (max-width:600px){main{padding:.5em 1em}th,td{padding-right:.5em}input.id{font-size:.8rem}
table.history{font-size:.8rem}
svg.spark{width:96px;height:28px}}
`;

/**
 * Reloads the figures of /live every 2 s and redraws their charts from the points the server
 * computed; without it the page is a static snapshot.
 */
export const LIVE_JS = `"use strict";
(function () {
  function format(n, unit) {
    if (unit !== "bytes") return String(n);
    var units = ["B", "KB", "MB", "GB", "TB"], v = n, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return u === 0 ? n + " B" : v.toFixed(v < 10 ? 1 : 0) + " " + units[u];
  }
  async function refresh() {
    try {
      const r = await fetch("/live.json", { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) return;
      const f = await r.json();
      for (const el of document.querySelectorAll("[data-figure]")) {
        const server = f.servers[Number(el.getAttribute("data-server"))];
        const k = el.getAttribute("data-figure");
        if (server && k in server.values) el.textContent = format(server.values[k], el.getAttribute("data-unit"));
      }
      for (const el of document.querySelectorAll("figure[data-chart]")) {
        const server = f.servers[Number(el.getAttribute("data-server"))];
        const c = server && server.charts && server.charts[el.getAttribute("data-chart")];
        if (!c) continue;
        el.querySelector("polyline").setAttribute("points", c.points);
        const dot = el.querySelector("circle");
        dot.setAttribute("cx", c.last ? c.last.x : -10);
        dot.setAttribute("cy", c.last ? c.last.y : -10);
        el.querySelector(".spark-caption").textContent = c.caption;
      }
      f.servers.forEach(function (s, i) {
        const at = document.getElementById("at-" + i);
        if (at) at.textContent = s.at;
      });
    } catch (_) { /* the next tick tries again */ }
  }
  setInterval(refresh, 2000);
})();
`;
