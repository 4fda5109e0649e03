/**
 * The relay's website (`[WEB]`): the information page generated from `[INFORMATION]`, served to
 * browsers (they send SNI) on the relay's own port with the `[WEB]` certificate and on the `http`
 * port, while SMP clients on the same port are unaffected. Bad requests get 4xx, never a file
 * outside the site.
 */
import assert from "node:assert/strict";
import { connectSmp } from "../../core/smp/connect.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { startRelayServer } from "../../relay/server.ts";
import { GENERATED_MARKER } from "../../core/server/info_page.ts";
import { makeChain } from "../tls/_certs.ts";
import { createQueue, relayIdentity } from "./_harness.ts";

const web = await makeChain("P-256", "relay.example");

async function startWithSite(extra = "", dir?: string) {
  dir ??= await Deno.makeTempDir({ prefix: "relay-web-" });
  const ini = `[INFORMATION]\noperator = Example <Ops> & Co\nwebsite = https://ops.example/\n` +
    `admin_email = admin@ops.example\nserver_country = NL\n` +
    `[TRANSPORT]\nhost = relay.example\nport = 5223\n[STORE_LOG]\nenable = off\n` +
    `[WEB]\nstatic_path = ${dir}/www\ncert = ${web.chainFile}\nkey = ${web.keyFile}\n${extra}`;
  const config = parseRelayConfig(ini, { cfgDir: dir, logDir: dir });
  const lines: string[] = [];
  const running = await startRelayServer({
    config: { ...config, ports: [0], web: { ...config.web, httpPort: 0 } },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: (l) => lines.push(l),
  });
  return { dir, running, lines, port: running.ports[0] };
}

/**
 * A browser's request: Deno's own TLS client (rustls) sends SNI, offers h2 and http/1.1 and
 * verifies the [WEB] certificate against its CA. The whole response, as text.
 */
async function browserRequest(port: number, request: string) {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = await Deno.startTls(tcp, {
    hostname: "relay.example",
    caCerts: [await Deno.readTextFile(web.caFile)],
    alpnProtocols: ["h2", "http/1.1"],
  });
  try {
    const { alpnProtocol } = await conn.handshake();
    await conn.write(new TextEncoder().encode(request));
    const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    return { text, alpn: alpnProtocol };
  } catch (e) {
    conn.close();
    throw e;
  }
}

Deno.test("relay website: browsers get the information page on the relay port; SMP clients still get SMP", async () => {
  const s = await startWithSite();
  try {
    const r = await browserRequest(s.port, "GET / HTTP/1.1\r\nHost: relay.example\r\n\r\n");
    assert.equal(r.alpn, "http/1.1");
    assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.text, /Content-Type: text\/html; charset=utf-8\r\n/);
    assert.match(r.text, /<code id="address">smp:\/\/[A-Za-z0-9_-]+=*@relay\.example(:\d+)?<\/code>/);
    assert.match(r.text, /Example &lt;Ops&gt; &amp; Co/, "INI values are escaped");
    assert.match(r.text, /<a href="https:\/\/ops\.example\/"/);
    assert.match(r.text, /<a href="mailto:admin@ops\.example">/);
    assert.match(r.text, /<svg[^>]*aria-label="QR code of the server address"/);
    assert.ok(s.lines.some((l) => l === `Information page: ${s.dir}/www/index.html`), s.lines.join("\n"));

    // the same port still speaks SMP to clients without SNI
    const smp = await connectSmp({ keyHash: relayIdentity.keyHash, hosts: ["127.0.0.1"], port: s.port });
    await createQueue(smp);
    await smp.close();

    const plain = await fetch(`http://127.0.0.1:${s.running.webPorts[0]}/`);
    assert.equal(plain.status, 200);
    assert.match(await plain.text(), /SimpleX SMP server/);
  } finally {
    await s.running.close();
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("relay website: traversal, other methods, garbage and oversized heads are refused", async () => {
  const s = await startWithSite();
  try {
    await Deno.writeTextFile(`${s.dir}/secret.txt`, "not for browsers");
    const traversal = await browserRequest(s.port, "GET /../secret.txt HTTP/1.1\r\n\r\n");
    assert.match(traversal.text, /^HTTP\/1\.1 404 /);
    assert.doesNotMatch(traversal.text, /not for browsers/);
    const encoded = await browserRequest(s.port, "GET /%2e%2e/secret.txt HTTP/1.1\r\n\r\n");
    assert.match(encoded.text, /^HTTP\/1\.1 404 /);
    assert.match((await browserRequest(s.port, "POST / HTTP/1.1\r\n\r\n")).text, /^HTTP\/1\.1 405 /);
    assert.match((await browserRequest(s.port, "\x00\x01garbage\r\n\r\n")).text, /^HTTP\/1\.1 400 /);
    const huge = `GET / HTTP/1.1\r\nX: ${"a".repeat(9000)}\r\n\r\n`;
    assert.match((await browserRequest(s.port, huge)).text, /^HTTP\/1\.1 431 /);
    const head = await browserRequest(s.port, "HEAD / HTTP/1.1\r\n\r\n");
    assert.match(head.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.text.endsWith("\r\n\r\n"), "HEAD has no body");
  } finally {
    await s.running.close();
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("relay website: the operator's own index.html is kept; a generated one is rewritten", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-web-" });
  try {
    await Deno.mkdir(`${dir}/www`);
    await Deno.writeTextFile(`${dir}/www/index.html`, "<h1>my relay</h1>");
    let s = await startWithSite("", dir);
    assert.ok(s.lines.includes(`Information page: ${dir}/www/index.html (yours, kept)`));
    assert.match((await browserRequest(s.port, "GET / HTTP/1.1\r\n\r\n")).text, /<h1>my relay<\/h1>/);
    await s.running.close();

    await Deno.writeTextFile(`${dir}/www/index.html`, `${GENERATED_MARKER}\nold`);
    s = await startWithSite("", dir);
    assert.match((await browserRequest(s.port, "GET / HTTP/1.1\r\n\r\n")).text, /SimpleX SMP server/);
    await s.running.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
