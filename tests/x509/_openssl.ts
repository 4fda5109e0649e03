/**
 * Runs the `openssl` CLI in a temporary directory, the way `smp-server init` does (SMP §1.2), so
 * that tests can exchange certificates with an independent X.509 implementation.
 */

export interface OpensslResult {
  readonly success: boolean;
  readonly stdout: Uint8Array;
  readonly text: string; // stdout and stderr, for messages and `openssl verify` verdicts
}

export class OpensslDir {
  private constructor(readonly dir: string) {}

  static async create(): Promise<OpensslDir> {
    return new OpensslDir(await Deno.makeTempDir({ prefix: "x509-openssl-" }));
  }

  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Runs openssl with `args`; throws unless it succeeds. */
  async run(args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
    const result = await this.tryRun(args, stdin);
    if (!result.success) throw new Error(`openssl ${args.join(" ")} failed:\n${result.text}`);
    return result.stdout;
  }

  async tryRun(args: string[], stdin?: Uint8Array): Promise<OpensslResult> {
    const child = new Deno.Command("openssl", {
      args,
      cwd: this.dir,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin) {
      const writer = child.stdin.getWriter();
      await writer.write(stdin);
      await writer.close();
    }
    const out = await child.output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { success: out.success, stdout: out.stdout, text: decode(out.stdout) + decode(out.stderr) };
  }

  async write(name: string, text: string): Promise<void> {
    await Deno.writeTextFile(this.path(name), text);
  }

  /** DER of a PEM certificate file, as `openssl x509 -outform DER` gives it. */
  certificateDer(name: string): Promise<Uint8Array> {
    return this.run(["x509", "-in", name, "-outform", "DER"]);
  }

  /** SHA-256 of a certificate's DER as OpenSSL computes it: `openssl x509 -outform DER | openssl dgst -sha256 -binary`. */
  async fingerprint(name: string): Promise<Uint8Array> {
    return this.run(["dgst", "-sha256", "-binary"], await this.certificateDer(name));
  }

  /** The check SMP §1.2 gives operators, verbatim through the shell: the b64u fingerprint line. */
  async fingerprintB64uByShell(name: string): Promise<string> {
    const script =
      `openssl x509 -in '${name}' -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_'`;
    const out = await new Deno.Command("sh", { args: ["-c", script], cwd: this.dir, stdout: "piped" })
      .output();
    if (!out.success) throw new Error(`${script} failed`);
    return new TextDecoder().decode(out.stdout).trim();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** openssl_ca.conf as `smp-server init` writes it (SMP §1.2). */
export const CA_CONF = `[req]
distinguished_name = req_distinguished_name
prompt = no

[req_distinguished_name]
CN = SMP server CA
O = SimpleX

[v3]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
basicConstraints = critical,CA:true
`;

/** openssl_server.conf as `smp-server init` writes it, for host `cn`. */
export function serverConf(cn: string): string {
  return `[req]
distinguished_name = req_distinguished_name
prompt = no

[req_distinguished_name]
CN = ${cn}

[v3]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, nonRepudiation, keyAgreement
extendedKeyUsage = serverAuth
`;
}

/** The `smp-server init` command sequence (SMP §1.2) for ED25519 or ED448, in `dir`. */
export async function opensslInit(
  dir: OpensslDir,
  algorithm: "ED25519" | "ED448",
  cn: string,
): Promise<void> {
  await dir.write("openssl_ca.conf", CA_CONF);
  await dir.write("openssl_server.conf", serverConf(cn));
  await dir.run(["genpkey", "-algorithm", algorithm, "-out", "ca.key"]);
  await dir.run(
    [
      "req",
      "-new",
      "-x509",
      "-days",
      "999999",
      "-config",
      "openssl_ca.conf",
      "-extensions",
      "v3",
      "-key",
      "ca.key",
    ]
      .concat(["-out", "ca.crt"]),
  );
  await dir.run(["genpkey", "-algorithm", algorithm, "-out", "server.key"]);
  await dir.run(
    [
      "req",
      "-new",
      "-config",
      "openssl_server.conf",
      "-reqexts",
      "v3",
      "-key",
      "server.key",
      "-out",
      "server.csr",
    ],
  );
  await dir.run([
    ...["x509", "-req", "-days", "999999", "-extfile", "openssl_server.conf", "-extensions", "v3"],
    ...["-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt"],
  ]);
}
