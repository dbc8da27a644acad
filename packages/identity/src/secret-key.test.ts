import { format, inspect } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { createIntermediateCsr } from "./cluster-intermediate.ts";
import { generateP256Key, SecretKey } from "./secret-key.ts";
import { meshFixture, type MeshFixture } from "./testing/pki-fixtures.ts";
import { issueWorkloadSvid, type WorkloadSvid } from "./workload-svid.ts";

/** Every distinctive piece of a key's PEM: the armour and each base64 line. */
function keyFragments(key: SecretKey): string[] {
  return ["PRIVATE KEY", ...key.exportPem().split("\n").filter((line) => line && !line.startsWith("-----"))];
}

describe("SecretKey never serialises its material", () => {
  let mesh: MeshFixture;
  let svid: WorkloadSvid;
  beforeAll(async () => {
    mesh = await meshFixture();
    svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: "spiffe://mesh.test/ns/a/sa/b" });
  });

  it("holds a real key that can be exported on purpose", () => {
    const key = generateP256Key();
    expect(key.exportPem()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(SecretKey.fromPem(key.exportPem()).publicKeyPem).toBe(key.publicKeyPem);
  });

  it.each<[string, (value: unknown) => string]>([
    ["JSON.stringify", (v) => JSON.stringify(v)],
    ["util.inspect (deep, hidden)", (v) => inspect(v, { depth: Infinity, showHidden: true })],
    ["console-style %o", (v) => format("%o", v)],
    ["console-style %s", (v) => format("%s", v)],
    ["String()", (v) => String(v)],
    ["template literal", (v) => `${v as string}`],
  ])("%s of keys and of objects holding them shows no key material", async (_how, show) => {
    const csr = await createIntermediateCsr({ cluster: "eu-2", trustDomain: "mesh.test" });
    const loose = generateP256Key();
    const fragments = [loose, mesh.root.key, mesh.intermediate.key, svid.key, csr.key].flatMap(keyFragments);
    for (const value of [loose, mesh.root, mesh.intermediate, svid, csr, { nested: { deeper: [svid.key] } }]) {
      const text = show(value);
      for (const fragment of fragments) expect(text).not.toContain(fragment);
    }
    expect(show(svid.key)).toContain("[redacted]");
  });

  it("JSON of a CA keeps its public parts", () => {
    const json = JSON.parse(JSON.stringify(mesh.root)) as Record<string, unknown>;
    expect(json.key).toBe("[redacted]");
    expect(json.certificatePem).toContain("BEGIN CERTIFICATE");
  });
});
