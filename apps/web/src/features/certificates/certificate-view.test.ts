import { describe, expect, it } from "vitest";
import { bundleRoots, caHierarchy, commonName, expiryTimeline, expiryWarnings, formatRemaining, pemToDer, shortFingerprint, type AuthorityLike, type CertificateLike, type IntermediateLike } from "./certificate-view.ts";

const OLD = "a".repeat(64);
const NEW = "b".repeat(64);

function authority(id: string, state: AuthorityLike["state"], anchor: string, pem = `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----`): AuthorityLike {
  return { id, state, subject: `CN=${id},O=Weft`, serial: "01", notBefore: new Date(0), notAfter: new Date(1e13), anchorFingerprint: anchor, isRoot: true, origin: "generated", certificatePem: pem };
}

function intermediate(cluster: string, authorityId: string, root: string, status: IntermediateLike["status"] = "current"): IntermediateLike {
  return { id: `${cluster}-${authorityId}`, cluster, authorityId, rootFingerprint: root, subject: `CN=${cluster}`, serial: "02", notAfter: new Date(1e13), status };
}

function cert(cluster: string, root: string, remainingHours: number, expiryWarning = false, kind: CertificateLike["kind"] = "workload"): CertificateLike {
  return { kind, cluster, spiffeId: kind === "workload" ? `spiffe://weft.local/ns/shop/sa/${cluster}` : null, serial: `${cluster}${remainingHours}`, notAfter: new Date(Date.UTC(2030, 0, 1) + remainingHours * 3_600_000), rootFingerprint: root, revoked: false, remainingHours, expiryWarning };
}

describe("caHierarchy", () => {
  it("hangs intermediates under their signer and counts workload certificates per root and cluster", () => {
    const tree = caHierarchy(
      [authority("old", "DRAINING", OLD), authority("new", "ACTIVE", NEW)],
      [
        { cluster: "west", current: intermediate("west", "old", OLD), past: [] },
        { cluster: "east", current: intermediate("east", "new", NEW), past: [intermediate("east", "old", OLD, "superseded")] },
      ],
      [cert("east", NEW, 10), cert("east", NEW, 5, true), cert("east", OLD, 2), cert("west", OLD, 9), cert("east", NEW, 100, false, "intermediate")],
    );
    expect(tree.map((a) => a.authority.id)).toEqual(["new", "old"]);
    expect(tree[0]!.clusters).toEqual([{ cluster: "east", intermediates: [expect.objectContaining({ authorityId: "new" })], workloads: 2, warnings: 1 }]);
    expect(tree[1]!.clusters.map((c) => [c.cluster, c.intermediates.length, c.workloads])).toEqual([
      ["east", 1, 1],
      ["west", 1, 1],
    ]);
  });

  it("leaves out certificates whose root no authority has", () => {
    expect(caHierarchy([authority("a", "ACTIVE", OLD)], [], [cert("east", NEW, 3)])[0]!.clusters).toEqual([]);
  });
});

describe("expiryTimeline", () => {
  it.each([
    [-1, "expired"],
    [0, "expired"],
    [0.5, "1h"],
    [1, "6h"],
    [23.9, "24h"],
    [24, "7d"],
    [24 * 8, "30d"],
    [24 * 60, "365d"],
    [24 * 3650, "later"],
  ])("puts %d hours into bucket %s", (hours, key) => {
    const buckets = expiryTimeline([{ remainingHours: hours, expiryWarning: false, revoked: false }]);
    expect(buckets.find((b) => b.total === 1)?.key).toBe(key);
  });

  it("counts warnings per bucket and skips revoked certificates", () => {
    const buckets = expiryTimeline([
      { remainingHours: 2, expiryWarning: true, revoked: false },
      { remainingHours: 3, expiryWarning: false, revoked: false },
      { remainingHours: 3, expiryWarning: true, revoked: true },
    ]);
    expect(buckets.find((b) => b.key === "6h")).toMatchObject({ total: 2, warnings: 1 });
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(2);
  });
});

describe("expiryWarnings", () => {
  it("counts warned certificates and lists the soonest first", () => {
    const list = [cert("east", OLD, 30, true), cert("east", OLD, 2, true), cert("west", OLD, 1), cert("west", OLD, 10, true)];
    const summary = expiryWarnings(list, 2);
    expect(summary.count).toBe(3);
    expect(summary.soonest.map((c) => c.remainingHours)).toEqual([2, 10]);
  });
});

describe("formatting", () => {
  it.each([
    [-3, "expired 3 h ago"],
    [0.25, "in 15 min"],
    [5.4, "in 5 h"],
    [72, "in 3 d"],
    [24 * 90, "in 90 d"],
    [8760 * 10, "in 10.0 y"],
  ])("formatRemaining(%d) = %s", (hours, text) => {
    expect(formatRemaining(hours)).toBe(text);
  });

  it("shortens fingerprints and reads the CN of a DN", () => {
    expect(shortFingerprint(`${"0123456789".repeat(6)}abcd`)).toBe("01234567…abcd");
    expect(commonName("O=Weft,CN=weft.local root")).toBe("weft.local root");
    expect(commonName("O=Weft")).toBe("O=Weft");
  });
});

describe("bundleRoots", () => {
  it("names roots by fingerprint or by an authority holding the same PEM", () => {
    const a = authority("old", "ACTIVE", OLD, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    const b = authority("new", "STAGED", NEW);
    const roots = bundleRoots(["-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n", "x", "y"], [a, b], [null, NEW, null]);
    expect(roots.map((r) => [r.fingerprint, r.subject, r.states])).toEqual([
      [OLD, "CN=old,O=Weft", ["ACTIVE"]],
      [NEW, "CN=new,O=Weft", ["STAGED"]],
      [null, null, []],
    ]);
  });

  it("decodes the DER of a PEM block and refuses anything else", () => {
    expect([...(pemToDer("-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----") ?? [])]).toEqual([1, 2, 3]);
    expect(pemToDer("not a pem")).toBeNull();
  });
});
