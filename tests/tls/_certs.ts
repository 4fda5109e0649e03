/**
 * Test certificate chains made with the openssl CLI the way `smp-server init` makes them
 * (smp.md §1.2): an offline CA (CA:true) and an online server certificate signed by it.
 */
import { createHash } from "node:crypto";

export interface TestChain {
  /** DER of [server certificate, CA certificate] */
  readonly chain: Uint8Array[];
  /** PKCS#8 DER of the server key */
  readonly privateKey: Uint8Array;
  /** SHA-256 of the CA certificate DER: the SimpleX server identity */
  readonly keyHash: Uint8Array;
  readonly dir: string;
  readonly certFile: string; // server.crt (PEM)
  readonly caFile: string; // ca.crt (PEM)
  readonly keyFile: string; // server.key (PEM)
  readonly chainFile: string; // server.crt ‖ ca.crt (PEM)
}

export type TestKeyAlgorithm = "ED25519" | "ED448" | "P-256";

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

async function derOf(file: string, cwd: string, kind: "x509" | "pkey"): Promise<Uint8Array> {
  const args = kind === "x509"
    ? ["x509", "-in", file, "-outform", "DER"]
    : ["pkcs8", "-topk8", "-nocrypt", "-in", file, "-outform", "DER"]; // PKCS#8 for EC too (pkey gives SEC1)
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return out.stdout;
}

function keyArgs(algorithm: TestKeyAlgorithm, out: string): string[] {
  return algorithm === "P-256"
    ? ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out]
    : ["genpkey", "-algorithm", algorithm, "-out", out];
}

const CA_CONF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = SMP server CA
O = SimpleX
[v3]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
basicConstraints = critical,CA:true
`;

const serverConf = (cn: string) =>
  `[req]
distinguished_name = dn
prompt = no
[dn]
CN = ${cn}
[v3]
basicConstraints = CA:FALSE
keyUsage = digitalSignature,nonRepudiation,keyAgreement
extendedKeyUsage = serverAuth
subjectAltName = DNS:${cn}
`;

/** Makes a CA + server chain in a fresh temp dir (removed by the caller with Deno.remove). */
export async function makeChain(algorithm: TestKeyAlgorithm, cn = "localhost"): Promise<TestChain> {
  const dir = await Deno.makeTempDir({ prefix: "tls-test-" });
  await Deno.writeTextFile(`${dir}/ca.conf`, CA_CONF);
  await Deno.writeTextFile(`${dir}/server.conf`, serverConf(cn));
  await openssl(keyArgs(algorithm, "ca.key"), dir);
  await openssl(
    [
      "req",
      "-new",
      "-x509",
      "-days",
      "999999",
      "-config",
      "ca.conf",
      "-extensions",
      "v3",
      "-key",
      "ca.key",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  await openssl(keyArgs(algorithm, "server.key"), dir);
  await openssl([
    "req",
    "-new",
    "-config",
    "server.conf",
    "-reqexts",
    "v3",
    "-key",
    "server.key",
    "-out",
    "server.csr",
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-days",
    "999999",
    "-extfile",
    "server.conf",
    "-extensions",
    "v3",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
  ], dir);
  const chain = [await derOf("server.crt", dir, "x509"), await derOf("ca.crt", dir, "x509")];
  await Deno.writeTextFile(
    `${dir}/chain.pem`,
    (await Deno.readTextFile(`${dir}/server.crt`)) + (await Deno.readTextFile(`${dir}/ca.crt`)),
  );
  return {
    chain,
    privateKey: await derOf("server.key", dir, "pkey"),
    keyHash: new Uint8Array(createHash("sha256").update(chain[1]).digest()),
    dir,
    certFile: `${dir}/server.crt`,
    caFile: `${dir}/ca.crt`,
    keyFile: `${dir}/server.key`,
    chainFile: `${dir}/chain.pem`,
  };
}
