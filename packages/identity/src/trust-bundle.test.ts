import { beforeAll, describe, expect, it } from "vitest";
import { generateMeshRoot, type CertificateAuthority } from "./certificate-authority.ts";
import { parseCertificate } from "./certificate.ts";
import { forgeCa } from "./testing/pki-fixtures.ts";
import { addRoot, bundleFingerprint, createTrustBundle, parseTrustBundle, removeRoot, rootFingerprints, serializeTrustBundle } from "./trust-bundle.ts";
import { x509 } from "./x509.ts";

describe("trust bundles", () => {
  let oldRoot: CertificateAuthority;
  let newRoot: CertificateAuthority;
  beforeAll(async () => {
    [oldRoot, newRoot] = await Promise.all([generateMeshRoot({ trustDomain: "mesh.test" }), generateMeshRoot({ trustDomain: "mesh.test" })]);
  });

  it("round-trips a PEM bundle with several roots", () => {
    const bundle = createTrustBundle("mesh.test", [oldRoot.certificatePem, newRoot.certificatePem]);
    const text = serializeTrustBundle(bundle);
    expect(text.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const parsed = parseTrustBundle(text, "mesh.test");
    expect(rootFingerprints(parsed)).toEqual(rootFingerprints(bundle));
    expect(rootFingerprints(bundle)).toEqual([oldRoot, newRoot].map((r) => parseCertificate(r.certificatePem).fingerprintSha256));
  });

  it("adds and removes roots without mutating, ignoring duplicates", () => {
    const start = createTrustBundle("mesh.test", oldRoot.certificatePem);
    const both = addRoot(start, newRoot.certificatePem);
    expect(start.roots).toHaveLength(1);
    expect(both.roots).toHaveLength(2);
    expect(addRoot(both, newRoot.certificatePem).roots).toHaveLength(2);
    const oldFingerprint = parseCertificate(oldRoot.certificatePem).fingerprintSha256;
    expect(removeRoot(both, oldFingerprint).roots).toEqual([parseCertificate(newRoot.certificatePem).pem]);
    expect(removeRoot(both, oldRoot.certificatePem).roots).toHaveLength(1);
    expect(() => removeRoot(start, oldFingerprint)).toThrow("last root");
    expect(() => removeRoot(start, "00".repeat(32))).toThrow("no root");
  });

  it("has a fingerprint that ignores order and changes with content", () => {
    const ab = createTrustBundle("mesh.test", [oldRoot.certificatePem, newRoot.certificatePem]);
    const ba = createTrustBundle("mesh.test", [newRoot.certificatePem, oldRoot.certificatePem]);
    const a = createTrustBundle("mesh.test", [oldRoot.certificatePem]);
    expect(bundleFingerprint(ab)).toBe(bundleFingerprint(ba));
    expect(bundleFingerprint(ab)).not.toBe(bundleFingerprint(a));
    expect(bundleFingerprint(ab)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, () => Promise<[string, string]>, string]>([
    ["an empty bundle", async () => ["mesh.test", ""], "invalid-bundle"],
    ["a root of another trust domain", async () => ["other.test", oldRoot.certificatePem], "trust-domain-mismatch"],
    ["a certificate that cannot sign", async () => {
      const notSigner = await forgeCa(oldRoot, { keyUsage: x509.KeyUsageFlags.cRLSign });
      return ["mesh.test", notSigner.certificatePem];
    }, "invalid-bundle"],
  ])("refuses %s", async (_what, input, code) => {
    const [trustDomain, pem] = await input();
    expect(() => parseTrustBundle(pem, trustDomain)).toThrow(expect.objectContaining({ code }));
  });
});
