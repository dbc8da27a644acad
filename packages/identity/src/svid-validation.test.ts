import { beforeAll, describe, expect, it } from "vitest";
import { DAY, HOUR, importCertificateAuthority } from "./certificate-authority.ts";
import { OID, parseCertificate } from "./certificate.ts";
import { clusterAuthority, createIntermediateCsr, signIntermediate } from "./cluster-intermediate.ts";
import { validateSvidChain, type SvidFailureCode } from "./svid-validation.ts";
import { forgeCa, forgeLeaf, forgeRoot, meshFixture, type MeshFixture } from "./testing/pki-fixtures.ts";
import { addRoot, createTrustBundle, removeRoot, type TrustBundle } from "./trust-bundle.ts";
import { issueWorkloadSvid } from "./workload-svid.ts";
import { x509 } from "./x509.ts";

const id = "spiffe://mesh.test/ns/shop/sa/cart";
const KU = x509.KeyUsageFlags;

interface Presented {
  leaf: string | Uint8Array;
  intermediates: string[];
  bundle?: TrustBundle;
  revoked?: string[];
}

describe("validateSvidChain", () => {
  let mesh: MeshFixture;
  let foreign: MeshFixture;
  beforeAll(async () => {
    // The foreign mesh uses the same trust domain name: only the root tells them apart.
    [mesh, foreign] = await Promise.all([meshFixture("mesh.test", "eu-1"), meshFixture("mesh.test", "eu-1")]);
  });

  it("accepts a root → intermediate → leaf chain and returns the SPIFFE ID", async () => {
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id });
    const result = validateSvidChain(svid.certificatePem, svid.chainPem, mesh.bundle);
    expect(result).toEqual({
      ok: true,
      spiffeId: id,
      trustDomain: "mesh.test",
      chainFingerprints: [svid.certificatePem, mesh.intermediate.certificatePem, mesh.root.certificatePem].map((p) => parseCertificate(p).fingerprintSha256),
    });
  });

  it("accepts DER input, intermediates in any order, and ignores extra certificates", async () => {
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id });
    const der = parseCertificate(svid.certificatePem).der;
    const result = validateSvidChain(der, [foreign.intermediate.certificatePem, foreign.root.certificatePem, ...svid.chainPem, mesh.root.certificatePem], mesh.bundle);
    expect(result).toMatchObject({ ok: true, spiffeId: id });
  });

  const cases: [string, () => Promise<Presented>, SvidFailureCode][] = [
    ["a leaf from a foreign root", async () => {
      const svid = await issueWorkloadSvid({ intermediate: foreign.intermediate, spiffeId: id });
      return { leaf: svid.certificatePem, intermediates: svid.chainPem };
    }, "untrusted"],
    ["a leaf presented without its intermediate", async () => {
      const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id });
      return { leaf: svid.certificatePem, intermediates: [] };
    }, "untrusted"],
    ["an expired leaf", async () => {
      const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id, ttl: HOUR, now: new Date(Date.now() - 2 * HOUR) });
      return { leaf: svid.certificatePem, intermediates: svid.chainPem };
    }, "expired"],
    ["a leaf that is not valid yet", async () => {
      const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id, ttl: HOUR, now: new Date(Date.now() + 2 * HOUR) });
      return { leaf: svid.certificatePem, intermediates: svid.chainPem };
    }, "not-yet-valid"],
    ["a leaf with two URI SANs", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: [id, "spiffe://mesh.test/ns/kube-system/sa/admin"] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "uri-san-count"],
    ["a leaf without a URI SAN", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, {});
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "uri-san-count"],
    ["a leaf whose URI is not a SPIFFE ID", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: ["https://mesh.test/ns/a"] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "invalid-spiffe-id"],
    ["a leaf with a bare trust domain ID", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: ["spiffe://mesh.test"] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "invalid-spiffe-id"],
    ["a leaf of another trust domain", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: ["spiffe://other.test/ns/a/sa/b"] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "trust-domain-mismatch"],
    ["a leaf with CA=true", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: [id], ca: true });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "leaf-is-ca"],
    ["a leaf with keyCertSign", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: [id], keyUsage: KU.digitalSignature | KU.keyCertSign });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "leaf-key-usage"],
    ["a leaf with cRLSign", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: [id], keyUsage: KU.digitalSignature | KU.cRLSign });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "leaf-key-usage"],
    ["a leaf without digitalSignature", async () => {
      const leaf = await forgeLeaf(mesh.intermediate, { uris: [id], keyUsage: KU.keyAgreement });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "leaf-key-usage"],
    ["an intermediate without keyCertSign", async () => {
      const ca = await forgeCa(mesh.root, { keyUsage: KU.cRLSign });
      const leaf = await forgeLeaf(ca, { uris: [id] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "signer-key-usage"],
    ["an intermediate with CA=false", async () => {
      const ca = await forgeCa(mesh.root, { ca: false, keyUsage: KU.keyCertSign });
      const leaf = await forgeLeaf(ca, { uris: [id] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "signer-not-ca"],
    ["a CA minted below a pathLen-0 cluster intermediate", async () => {
      const rogue = await forgeCa(mesh.intermediate, {});
      const leaf = await forgeLeaf(rogue, { uris: [id] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem };
    }, "path-length"],
    ["an identity outside the intermediate's name constraints", async () => {
      const operator = await forgeRoot();
      const meshCa = importCertificateAuthority({ certificatePem: operator.certificatePem, key: operator.key, trustDomain: "mesh.test" });
      const csr = await createIntermediateCsr({ cluster: "eu-1", trustDomain: "mesh.test" });
      const cluster = clusterAuthority({ issued: await signIntermediate(csr.csrPem, { root: meshCa, cluster: "eu-1", trustDomain: "mesh.test" }), key: csr.key, trustDomain: "mesh.test" });
      // The operator root carries no SPIFFE ID, so it may anchor a bundle for any trust domain.
      const leaf = await forgeLeaf(cluster, { uris: ["spiffe://evil.test/ns/a/sa/b"] });
      return { leaf: leaf.certificatePem, intermediates: leaf.chainPem, bundle: createTrustBundle("evil.test", operator.certificatePem) };
    }, "name-constraints"],
    ["a chain through a revoked cluster intermediate", async () => {
      const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id });
      return { leaf: svid.certificatePem, intermediates: svid.chainPem, revoked: [parseCertificate(mesh.intermediate.certificatePem).fingerprintSha256] };
    }, "revoked"],
    ["something that is not a certificate", async () => ({ leaf: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", intermediates: [] }), "malformed-certificate"],
    ["an empty leaf", async () => ({ leaf: "", intermediates: [] }), "malformed-certificate"],
  ];

  it.each(cases)("refuses %s", async (_what, present, code) => {
    const p = await present();
    const result = validateSvidChain(p.leaf, p.intermediates, p.bundle ?? mesh.bundle, new Date(), p.revoked ? { revoked: p.revoked } : {});
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(10);
  });

  it("checks expiry at the given time", async () => {
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id });
    expect(validateSvidChain(svid.certificatePem, svid.chainPem, mesh.bundle, new Date(Date.now() + 2 * DAY))).toMatchObject({ ok: false, code: "expired" });
    expect(validateSvidChain(svid.certificatePem, svid.chainPem, mesh.bundle, new Date(Date.now() + 12 * HOUR))).toMatchObject({ ok: true });
  });

  it.each([
    ["server", [OID.serverAuth], true],
    ["server", [OID.clientAuth], false],
    ["client", [OID.clientAuth], true],
    ["client", [OID.serverAuth], false],
  ] as const)("as a %s, a leaf with extKeyUsage %o is accepted: %s", async (purpose, usages, accepted) => {
    const leaf = await forgeLeaf(mesh.intermediate, { uris: [id], extKeyUsage: [...usages] });
    const result = validateSvidChain(leaf.certificatePem, leaf.chainPem, mesh.bundle, new Date(), { purpose });
    expect(result).toMatchObject(accepted ? { ok: true } : { ok: false, code: "leaf-extended-key-usage" });
  });

  describe("staged root rotation", () => {
    let next: MeshFixture;
    beforeAll(async () => {
      next = await meshFixture("mesh.test", "eu-1");
    });

    it("a bundle with old and new roots validates chains from both; dropping the old root refuses its chains", async () => {
      const [oldSvid, newSvid] = await Promise.all([
        issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: id }),
        issueWorkloadSvid({ intermediate: next.intermediate, spiffeId: id }),
      ]);
      const staged = addRoot(mesh.bundle, next.root.certificatePem);
      expect(staged.roots).toHaveLength(2);
      expect(validateSvidChain(oldSvid.certificatePem, oldSvid.chainPem, staged)).toMatchObject({ ok: true });
      expect(validateSvidChain(newSvid.certificatePem, newSvid.chainPem, staged)).toMatchObject({ ok: true });
      expect(validateSvidChain(newSvid.certificatePem, newSvid.chainPem, mesh.bundle)).toMatchObject({ ok: false, code: "untrusted" });

      const finished = removeRoot(staged, mesh.root.certificatePem);
      expect(validateSvidChain(newSvid.certificatePem, newSvid.chainPem, finished)).toMatchObject({ ok: true });
      expect(validateSvidChain(oldSvid.certificatePem, oldSvid.chainPem, finished)).toMatchObject({ ok: false, code: "untrusted" });
    });

    it("an expired root stops validating even while still in the bundle", async () => {
      const oldRoot = await forgeRoot({ notAfter: new Date(Date.now() + HOUR) });
      // Forged directly under the root and outliving it, which the real issuers never do.
      const leaf = await forgeLeaf(oldRoot, { uris: [id], notAfter: new Date(Date.now() + 10 * HOUR) });
      const bundle = createTrustBundle("mesh.test", [oldRoot.certificatePem, mesh.root.certificatePem]);
      expect(validateSvidChain(leaf.certificatePem, [], bundle)).toMatchObject({ ok: true });
      const later = validateSvidChain(leaf.certificatePem, [], bundle, new Date(Date.now() + 2 * HOUR));
      expect(later).toMatchObject({ ok: false, code: "expired" });
      expect(!later.ok && later.reason).toContain("Operator root");
    });
  });
});
