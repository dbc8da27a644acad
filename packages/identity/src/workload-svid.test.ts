import { beforeAll, describe, expect, it } from "vitest";
import { DAY, HOUR } from "./certificate-authority.ts";
import { OID, parseCertificate } from "./certificate.ts";
import { IdentityError } from "./errors.ts";
import { RENEWAL_JITTER, renewalDelay } from "./renewal.ts";
import { spiffeIdFor } from "./spiffe-id.ts";
import { meshFixture, type MeshFixture } from "./testing/pki-fixtures.ts";
import { issueWorkloadSvid, svidTlsCredentials } from "./workload-svid.ts";
import { x509 } from "./x509.ts";

describe("workload SVIDs", () => {
  let mesh: MeshFixture;
  beforeAll(async () => {
    mesh = await meshFixture();
  });

  it("issues a 24 h leaf with one URI SAN, digitalSignature and server+client auth", async () => {
    const spiffeId = spiffeIdFor({ trustDomain: "mesh.test", namespace: "shop", serviceAccount: "cart" });
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId });
    const cert = parseCertificate(svid.certificatePem);
    expect(cert.uris).toEqual([spiffeId]);
    expect(cert.isCa).toBe(false);
    expect(cert.keyUsage).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(cert.extKeyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
    expect(cert.criticalExtensions).toEqual(expect.arrayContaining([OID.basicConstraints, OID.keyUsage]));
    expect(cert.notAfter.getTime() - Date.now()).toBeGreaterThan(24 * HOUR - 5_000);
    expect(cert.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(24 * HOUR);
    expect(svid.chainPem).toEqual([mesh.intermediate.certificatePem]);
    expect(cert.native.checkPrivateKey((await import("node:crypto")).createPrivateKey(svid.key.exportPem()))).toBe(true);
    const credentials = svidTlsCredentials(svid);
    expect(credentials.cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it("never outlives the intermediate", async () => {
    const svid = await issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: "spiffe://mesh.test/ns/a/sa/b", ttl: 1000 * DAY });
    expect(svid.notAfter).toEqual(parseCertificate(mesh.intermediate.certificatePem).notAfter);
  });

  it.each([
    ["spiffe://other.test/ns/a/sa/b", "trust-domain-mismatch"],
    ["spiffe://mesh.test", "invalid-spiffe-id"],
    ["spiffe://mesh.test/ns/a/", "invalid-spiffe-id"],
  ])("refuses to issue %s", async (spiffeId, code) => {
    await expect(issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId })).rejects.toMatchObject({ code, constructor: IdentityError });
  });

  it("refuses a non-positive ttl", async () => {
    await expect(issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: "spiffe://mesh.test/ns/a/sa/b", ttl: 0 })).rejects.toMatchObject({ code: "invalid-ttl" });
  });
});

describe("renewalDelay", () => {
  const notBefore = new Date("2030-01-01T00:00:00Z");
  const notAfter = new Date(notBefore.getTime() + 24 * HOUR);
  const lifetime = 24 * HOUR;

  it.each([
    ["no jitter (random 0.5)", 0.5, notBefore, 12 * HOUR],
    ["earliest (random 0)", 0, notBefore, 12 * HOUR - RENEWAL_JITTER * lifetime],
    ["latest (random → 1)", 0.999999, notBefore, 12 * HOUR + RENEWAL_JITTER * lifetime],
    ["measured from now", 0.5, new Date(notBefore.getTime() + 2 * HOUR), 10 * HOUR],
    ["overdue is immediate", 0.5, new Date(notBefore.getTime() + 20 * HOUR), 0],
  ])("%s", (_case, random, now, expected) => {
    expect(renewalDelay({ notBefore, notAfter }, () => random, now)).toBeCloseTo(expected, -2);
  });

  it("spreads certificates issued together", () => {
    const delays = new Set(Array.from({ length: 20 }, () => renewalDelay({ notBefore, notAfter }, Math.random, notBefore)));
    expect(delays.size).toBeGreaterThan(15);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual((0.5 - RENEWAL_JITTER) * lifetime);
      expect(delay).toBeLessThanOrEqual((0.5 + RENEWAL_JITTER) * lifetime);
    }
  });
});
