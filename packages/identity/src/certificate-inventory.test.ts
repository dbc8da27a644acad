import { describe, expect, it } from "vitest";
import { describeCertificate } from "./certificate-inventory.ts";
import { meshFixture } from "./testing/pki-fixtures.ts";
import { issueWorkloadSvid } from "./workload-svid.ts";

describe("describeCertificate", () => {
  it("describes root, cluster intermediate and workload certificates", async () => {
    const mesh = await meshFixture("mesh.test", "eu-1");
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: "spiffe://mesh.test/ns/shop/sa/cart" });
    const root = describeCertificate(mesh.root.certificatePem);
    const intermediate = describeCertificate(mesh.intermediate.certificatePem);
    const leaf = describeCertificate(svid.certificatePem);

    expect(root).toMatchObject({ spiffeId: "spiffe://mesh.test", isCa: true });
    expect(root.cluster).toBeUndefined();
    expect(root.subject).toBe(root.issuer);
    expect(intermediate).toMatchObject({ spiffeId: "spiffe://mesh.test", cluster: "eu-1", isCa: true, subject: "O=Weft, OU=weft-cluster, CN=eu-1", issuer: root.subject });
    expect(leaf).toMatchObject({ spiffeId: "spiffe://mesh.test/ns/shop/sa/cart", isCa: false, issuer: intermediate.subject, notAfter: svid.notAfter, notBefore: svid.notBefore });
    expect(leaf.serial).toMatch(/^[0-9a-f]+$/);
    expect(leaf.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([root, intermediate, leaf].map((r) => r.fingerprintSha256)).size).toBe(3);
    expect(JSON.stringify(leaf)).not.toContain("PRIVATE");
  });

  it("refuses what is not a certificate", () => {
    expect(() => describeCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")).toThrow(expect.objectContaining({ code: "invalid-certificate" }));
  });
});
