// Pure view logic of the certificates page: the CA hierarchy with workload
// counts, the expiry timeline buckets, the trust bundle's roots and the
// overview's expiry warnings. No React, no I/O: tested beside.

/** A workload certificate or intermediate as identity.certificates lists it. */
export interface CertificateLike {
  kind: "workload" | "intermediate";
  cluster: string;
  spiffeId: string | null;
  serial: string;
  notAfter: Date;
  rootFingerprint: string;
  revoked: boolean;
  remainingHours: number;
  expiryWarning: boolean;
}

export interface AuthorityLike {
  id: string;
  state: "ACTIVE" | "STAGED" | "DRAINING" | "RETIRED";
  subject: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  anchorFingerprint: string;
  isRoot: boolean;
  origin: "generated" | "imported";
  certificatePem: string;
}

export interface IntermediateLike {
  id: string;
  cluster: string;
  authorityId: string;
  rootFingerprint: string;
  subject: string;
  serial: string;
  notAfter: Date;
  status: "current" | "superseded" | "revoked" | "expired";
}

export interface ClusterIntermediates {
  cluster: string;
  current: IntermediateLike | null;
  past: IntermediateLike[];
}

/** One cluster under an authority: its intermediates signed by it, and its workload certificates on that root. */
export interface HierarchyCluster {
  cluster: string;
  /** Intermediates of this cluster signed by the authority, current first. */
  intermediates: IntermediateLike[];
  /** Workload certificates of the cluster chaining to the authority's root. */
  workloads: number;
  /** Of those, how many carry an expiry warning. */
  warnings: number;
}

export interface HierarchyAuthority<A extends AuthorityLike = AuthorityLike> {
  authority: A;
  clusters: HierarchyCluster[];
}

const STATE_ORDER: Record<AuthorityLike["state"], number> = { ACTIVE: 0, STAGED: 1, DRAINING: 2, RETIRED: 3 };

/**
 * The CA hierarchy, authority → cluster intermediates → workload counts.
 * Intermediates hang under the authority that signed them; workload
 * certificates count under the authority whose root they chain to (several
 * authorities may share a root: the signing one of the cluster wins, else the first).
 * Authorities are ordered ACTIVE, STAGED, DRAINING, RETIRED; clusters by name.
 */
export function caHierarchy<A extends AuthorityLike>(authorities: readonly A[], clusters: readonly ClusterIntermediates[], certificates: readonly CertificateLike[]): HierarchyAuthority<A>[] {
  const ordered = [...authorities].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]);
  const result = ordered.map((authority) => ({ authority, clusters: new Map<string, HierarchyCluster>() }));
  const byId = new Map(result.map((r) => [r.authority.id, r]));
  const entry = (r: (typeof result)[number], cluster: string) => {
    let c = r.clusters.get(cluster);
    if (!c) r.clusters.set(cluster, (c = { cluster, intermediates: [], workloads: 0, warnings: 0 }));
    return c;
  };
  for (const c of clusters) {
    for (const i of [...(c.current ? [c.current] : []), ...c.past]) {
      const r = byId.get(i.authorityId);
      if (r) entry(r, c.cluster).intermediates.push(i);
    }
  }
  for (const cert of certificates) {
    if (cert.kind !== "workload") continue;
    const candidates = result.filter((r) => r.authority.anchorFingerprint === cert.rootFingerprint);
    const target = candidates.find((r) => r.clusters.get(cert.cluster)?.intermediates.some((i) => i.rootFingerprint === cert.rootFingerprint)) ?? candidates[0];
    if (!target) continue;
    const c = entry(target, cert.cluster);
    c.workloads += 1;
    if (cert.expiryWarning) c.warnings += 1;
  }
  return result.map((r) => ({ authority: r.authority, clusters: [...r.clusters.values()].sort((a, b) => a.cluster.localeCompare(b.cluster)) }));
}

/** One bar of the expiry timeline. */
export interface ExpiryBucket {
  key: string;
  label: string;
  total: number;
  /** Certificates in the bucket with an expiry warning. */
  warnings: number;
}

const HOUR = 1;
const DAY = 24 * HOUR;

/** Upper bounds (hours to expiry, exclusive) of the timeline's buckets; the last one is open. */
export const EXPIRY_BUCKETS: readonly { key: string; label: string; below: number }[] = [
  { key: "expired", label: "Expired", below: 0 },
  { key: "1h", label: "< 1 h", below: HOUR },
  { key: "6h", label: "1–6 h", below: 6 * HOUR },
  { key: "24h", label: "6–24 h", below: DAY },
  { key: "7d", label: "1–7 d", below: 7 * DAY },
  { key: "30d", label: "7–30 d", below: 30 * DAY },
  { key: "365d", label: "30 d – 1 y", below: 365 * DAY },
  { key: "later", label: "> 1 y", below: Number.POSITIVE_INFINITY },
];

/** Buckets certificates by time to expiry (revoked ones left out: they no longer matter). */
export function expiryTimeline(certificates: readonly Pick<CertificateLike, "remainingHours" | "expiryWarning" | "revoked">[]): ExpiryBucket[] {
  const buckets = EXPIRY_BUCKETS.map((b) => ({ key: b.key, label: b.label, total: 0, warnings: 0 }));
  for (const c of certificates) {
    if (c.revoked) continue;
    // Nothing left is expired (notAfter reached), hence <= for the first bucket.
    const i = c.remainingHours <= 0 ? 0 : EXPIRY_BUCKETS.findIndex((b) => c.remainingHours < b.below);
    const bucket = buckets[i === -1 ? buckets.length - 1 : i]!;
    bucket.total += 1;
    if (c.expiryWarning) bucket.warnings += 1;
  }
  return buckets;
}

/** The overview's summary: how many certificates carry a warning, and the soonest of them. */
export function expiryWarnings<C extends Pick<CertificateLike, "expiryWarning" | "notAfter">>(certificates: readonly C[], soonest = 5): { count: number; soonest: C[] } {
  const warned = certificates.filter((c) => c.expiryWarning).sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  return { count: warned.length, soonest: warned.slice(0, soonest) };
}

/** "expired 3 h ago", "in 45 min", "in 5 h", "in 12 d", "in 3.1 y". */
export function formatRemaining(hours: number): string {
  const abs = Math.abs(hours);
  const text = abs < 1 ? `${Math.max(1, Math.round(abs * 60))} min` : abs < 48 ? `${Math.round(abs)} h` : abs < 8760 ? `${Math.round(abs / 24)} d` : `${(abs / 8760).toFixed(1)} y`;
  return hours <= 0 ? `expired ${text} ago` : `in ${text}`;
}

/** The first 8 and last 4 hex digits of a fingerprint, for tables ("3f2a9c1e…77b0"). */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.length <= 16 ? fingerprint : `${fingerprint.slice(0, 8)}…${fingerprint.slice(-4)}`;
}

/** The CN of a DN ("CN=weft root,O=Weft" → "weft root"); the DN itself without one. */
export function commonName(dn: string): string {
  const match = /(?:^|[,/]\s*)CN=([^,/]+)/.exec(dn);
  return match?.[1]?.trim() ?? dn;
}

function normalizePem(pem: string): string {
  return pem.replace(/\s+/g, "");
}

/** A root of the trust bundle, named after the authority it belongs to when one matches. */
export interface BundleRoot {
  pem: string;
  fingerprint: string | null;
  subject: string | null;
  /** States of the mesh authorities chaining to this root. */
  states: AuthorityLike["state"][];
}

/**
 * Names the bundle's roots: by fingerprint (when the browser could compute
 * it: `fingerprints[i]` for `rootsPem[i]`), else by an authority whose own
 * certificate is that root.
 */
export function bundleRoots(rootsPem: readonly string[], authorities: readonly AuthorityLike[], fingerprints: readonly (string | null)[] = []): BundleRoot[] {
  return rootsPem.map((pem, i) => {
    const byPem = authorities.find((a) => a.isRoot && normalizePem(a.certificatePem) === normalizePem(pem));
    const fingerprint = fingerprints[i] ?? byPem?.anchorFingerprint ?? null;
    const matching = authorities.filter((a) => (fingerprint ? a.anchorFingerprint === fingerprint : a === byPem));
    const named = matching.find((a) => a.isRoot) ?? matching[0];
    return { pem, fingerprint, subject: named ? (named.isRoot ? named.subject : `root of ${named.subject}`) : null, states: matching.map((a) => a.state) };
  });
}

/** DER bytes of the first PEM block (for a fingerprint); null when it is not base64 PEM. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> | null {
  const match = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(pem);
  if (!match) return null;
  const body = match[1]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  const binary = atob(body);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Distinct clusters across the hierarchy and the inventory, sorted (the inventory's cluster filter). */
export function clusterNames(clusters: readonly { cluster: string }[], certificates: readonly { cluster: string }[] = []): string[] {
  return [...new Set([...clusters.map((c) => c.cluster), ...certificates.map((c) => c.cluster)])].sort();
}
