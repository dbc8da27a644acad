import { createPrivateKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "./certificate.ts";
import { validateSvidChain } from "./svid-validation.ts";
import { meshFixture, type MeshFixture } from "./testing/pki-fixtures.ts";
import { createWorkloadCsr, signWorkloadCsr } from "./workload-csr.ts";
import { x509 } from "./x509.ts";

describe("workload CSRs", () => {
  let mesh: MeshFixture;
  const spiffeId = "spiffe://mesh.test/ns/shop/sa/cart";
  beforeAll(async () => {
    mesh = await meshFixture();
  });

  it("issues an SVID for the CSR's own key that chains to the bundle", async () => {
    const csr = await createWorkloadCsr({ spiffeId });
    const svid = await signWorkloadCsr(csr.csrPem, { intermediate: mesh.intermediate, spiffeId });
    expect(svid).not.toHaveProperty("key");
    const cert = parseCertificate(svid.certificatePem);
    expect(cert.uris).toEqual([spiffeId]);
    expect(cert.native.checkPrivateKey(createPrivateKey(csr.key.exportPem()))).toBe(true);
    expect(validateSvidChain(svid.certificatePem, svid.chainPem, mesh.bundle)).toMatchObject({ ok: true, spiffeId });
  });

  it("refuses a CSR asking for another identity than the caller's, naming the field", async () => {
    const csr = await createWorkloadCsr({ spiffeId: "spiffe://mesh.test/ns/shop/sa/admin" });
    await expect(signWorkloadCsr(csr.csrPem, { intermediate: mesh.intermediate, spiffeId })).rejects.toMatchObject({ code: "invalid-csr", path: "csr.subjectAltName" });
  });

  it("refuses a CSR whose signature does not match its key", async () => {
    const csr = await createWorkloadCsr({ spiffeId });
    const a = new x509.Pkcs10CertificateRequest(csr.csrPem);
    const sigA = Buffer.from(a.signature);
    // Another key's signature of the same DER length (ECDSA signatures vary by a byte or two), spliced over the first.
    let sigB = sigA;
    while (sigB.equals(sigA) || sigB.length !== sigA.length) sigB = Buffer.from(new x509.Pkcs10CertificateRequest((await createWorkloadCsr({ spiffeId })).csrPem).signature);
    const raw = Buffer.from(a.rawData);
    const at = raw.lastIndexOf(sigA);
    expect(at).toBeGreaterThan(0);
    const spliced = Buffer.concat([raw.subarray(0, at), sigB, raw.subarray(at + sigA.length)]);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${spliced.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signWorkloadCsr(pem, { intermediate: mesh.intermediate, spiffeId })).rejects.toMatchObject({ code: "csr-signature" });
  });

  it("refuses what is not a CSR", async () => {
    await expect(signWorkloadCsr("hello", { intermediate: mesh.intermediate, spiffeId })).rejects.toMatchObject({ code: "invalid-csr", path: "csr" });
  });
});
