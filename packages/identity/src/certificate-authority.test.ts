import { beforeAll, describe, expect, it } from "vitest";
import { DAY, generateMeshRoot, importCertificateAuthority, MINUTE, type CertificateAuthority, YEAR } from "./certificate-authority.ts";
import { parseCertificate } from "./certificate.ts";
import { clusterAuthority, createIntermediateCsr, signIntermediate } from "./cluster-intermediate.ts";
import { IdentityError } from "./errors.ts";
import { generateP256Key } from "./secret-key.ts";
import { validateSvidChain } from "./svid-validation.ts";
import { forgeCa, forgeRoot } from "./testing/pki-fixtures.ts";
import { createTrustBundle } from "./trust-bundle.ts";
import { issueWorkloadSvid } from "./workload-svid.ts";
import { x509 } from "./x509.ts";

async function failure(fn: () => unknown): Promise<IdentityError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  throw new Error("expected an IdentityError");
}

describe("mesh root", () => {
  let root: CertificateAuthority;
  beforeAll(async () => {
    root = await generateMeshRoot({ trustDomain: "mesh.test" });
  });

  it("is a long-lived P-256 CA with the trust domain ID", () => {
    const cert = parseCertificate(root.certificatePem);
    expect(cert.isCa).toBe(true);
    expect(cert.pathLength).toBe(1);
    expect(cert.keyUsage).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(cert.criticalExtensions).toEqual(expect.arrayContaining(["2.5.29.19", "2.5.29.15"]));
    expect(cert.uris).toEqual(["spiffe://mesh.test"]);
    expect(cert.selfIssued).toBe(true);
    expect(cert.native.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    expect(lifetime).toBeGreaterThan(10 * YEAR - DAY);
    expect(root).toMatchObject({ isRoot: true, chainPem: [], trustAnchorPem: root.certificatePem });
  });

  it("gives every root a distinct subject, so rotations never share a name", async () => {
    const next = await generateMeshRoot({ trustDomain: "mesh.test" });
    expect(parseCertificate(next.certificatePem).subject).not.toBe(parseCertificate(root.certificatePem).subject);
  });

  it("imports back from PEM with its key", () => {
    const imported = importCertificateAuthority({ certificatePem: root.certificatePem, key: root.key.exportPem() });
    expect(imported).toMatchObject({ trustDomain: "mesh.test", isRoot: true, chainPem: [] });
  });

  it.each<[string, () => Promise<Parameters<typeof importCertificateAuthority>[0]>, string, string]>([
    ["a key of another certificate", async () => ({ certificatePem: root.certificatePem, key: generateP256Key() }), "key-mismatch", "key"],
    ["garbage instead of a key", async () => ({ certificatePem: root.certificatePem, key: "not a key" }), "invalid-key", ""],
    ["a leaf certificate", async () => {
      const leaf = await forgeCa(root, { ca: false, keyUsage: x509.KeyUsageFlags.digitalSignature });
      return { certificatePem: leaf.certificatePem, key: leaf.key, trustDomain: "mesh.test" };
    }, "not-a-ca", "certificatePem"],
    ["a CA without keyCertSign", async () => {
      const ca = await forgeCa(root, { keyUsage: x509.KeyUsageFlags.cRLSign });
      return { certificatePem: ca.certificatePem, key: ca.key, trustDomain: "mesh.test" };
    }, "missing-key-cert-sign", "certificatePem"],
    ["an expired root", async () => {
      const old = await generateMeshRoot({ trustDomain: "mesh.test", ttl: DAY, now: new Date(Date.now() - 10 * DAY) });
      return { certificatePem: old.certificatePem, key: old.key };
    }, "expired", "certificatePem"],
    ["a root of another trust domain", async () => ({ certificatePem: root.certificatePem, key: root.key, trustDomain: "other.test" }), "trust-domain-mismatch", "certificatePem"],
    ["a root without SPIFFE ID and no trust domain", async () => {
      const operator = await forgeRoot();
      return { certificatePem: operator.certificatePem, key: operator.key };
    }, "invalid-trust-domain", "trustDomain"],
    ["a chain that does not link up", async () => {
      const stranger = await forgeRoot();
      const ca = await forgeCa(stranger, {});
      return { certificatePem: ca.certificatePem, key: ca.key, chainPem: [root.certificatePem], trustDomain: "mesh.test" };
    }, "broken-chain", "chainPem[0]"],
    ["an intermediate whose root leaves no room for cluster CAs", async () => {
      // The generated root has pathLen 1: a second tier of CA below an imported intermediate is too deep.
      const ca = await forgeCa(root, {});
      return { certificatePem: ca.certificatePem, key: ca.key, chainPem: [root.certificatePem], trustDomain: "mesh.test" };
    }, "path-length", "chainPem[0]"],
    ["an intermediate with pathLen 0 as the mesh CA", async () => {
      const operator = await forgeRoot();
      const ca = await forgeCa(operator, { pathLength: 0 });
      return { certificatePem: ca.certificatePem, key: ca.key, chainPem: operator.certificatePem, trustDomain: "mesh.test" };
    }, "path-length", "certificatePem"],
  ])("import refuses %s", async (_what, input, code, path) => {
    const error = await failure(async () => importCertificateAuthority(await input()));
    expect(error.code).toBe(code);
    expect(error.path).toBe(path);
  });

  it("imports an operator intermediate and issues a chain that validates to the operator root", async () => {
    const operator = await forgeRoot();
    const meshCa = await forgeCa(operator, { pathLength: 1, uris: ["spiffe://mesh.test"] });
    const imported = importCertificateAuthority({ certificatePem: meshCa.certificatePem, key: meshCa.key, chainPem: operator.certificatePem });
    expect(imported).toMatchObject({ trustDomain: "mesh.test", isRoot: false, chainPem: [], trustAnchorPem: operator.certificatePem });

    const csr = await createIntermediateCsr({ cluster: "us-1", trustDomain: "mesh.test" });
    const issued = await signIntermediate(csr.csrPem, { root: imported, cluster: "us-1", trustDomain: "mesh.test" });
    expect(issued.chainPem).toEqual([meshCa.certificatePem]);
    const cluster = clusterAuthority({ issued, key: csr.key, trustDomain: "mesh.test" });
    const svid = await issueWorkloadSvid({ intermediate: cluster, spiffeId: "spiffe://mesh.test/ns/a/sa/b" });
    const result = validateSvidChain(svid.certificatePem, svid.chainPem, createTrustBundle("mesh.test", operator.certificatePem));
    expect(result).toMatchObject({ ok: true, spiffeId: "spiffe://mesh.test/ns/a/sa/b" });
  });
});

describe("clock differences between clusters", () => {
  it("an SVID issued by an agent whose clock is 4 minutes ahead is valid at once for a peer on the right time", async () => {
    const root = await generateMeshRoot({ trustDomain: "mesh.test" });
    const csr = await createIntermediateCsr({ cluster: "east", trustDomain: "mesh.test" });
    const issued = await signIntermediate(csr.csrPem, { root, cluster: "east", trustDomain: "mesh.test" });
    const east = clusterAuthority({ issued, key: csr.key, trustDomain: "mesh.test" });
    const now = new Date();
    const ahead = new Date(now.getTime() + 4 * MINUTE);
    const svid = await issueWorkloadSvid({ intermediate: east, spiffeId: "spiffe://mesh.test/ns/shop/sa/web", now: ahead });
    // What another cluster's proxy (its clock right) checks on the first request; with a one-minute backdate it refused this.
    expect(validateSvidChain(svid.certificatePem, svid.chainPem, createTrustBundle("mesh.test", root.certificatePem), now)).toMatchObject({ ok: true });
    expect(svid.notBefore.getTime()).toBeLessThanOrEqual(now.getTime());
  });
});
