// Judges the client of an inbound mTLS connection by the X.509-SVID rules
// against the current bundle, after OpenSSL has checked the chain. Resumed
// TLS sessions carry only the leaf: the intermediates seen on the full
// handshake are remembered so the SPIFFE rules can run again.
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import { peerChain, validateSvidChain } from "@weft/identity";
import type { IdentityMaterial } from "../core/identity-material.ts";
import type { Logger } from "../core/logger.ts";
import type { PeerIdentity } from "../core/peer-identity.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import { peerCluster } from "./workload-identity.ts";

export class PeerVerifier {
  private readonly clusterByIssuer = new Map<string, string | undefined>();
  /** Intermediates each client leaf came with on its full handshake: a resumed TLS session carries the leaf only. */
  private readonly chainByLeaf = new Map<string, Buffer[]>();
  /** Chains accepted under a material generation, until their first certificate expires: reconnects skip the X.509-SVID rules. */
  private readonly accepted = new Map<string, { peer: PeerIdentity; untilMs: number }>();

  constructor(
    private readonly material: () => IdentityMaterial | undefined,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** The peer's identity, or undefined (counted and logged) when it is refused. */
  verify(listener: string, socket: TLSSocket): PeerIdentity | undefined {
    const material = this.material();
    const chain = peerChain(socket.getPeerCertificate(true));
    if (!material || !chain) {
      this.metrics.mtlsRefused.inc({ listener, reason: "no-certificate" });
      return undefined;
    }
    const leafKey = chain.leaf.toString("base64");
    if (chain.intermediates.length === 0 && socket.isSessionReused()) {
      // The session was verified in full before; the SPIFFE rules run again against today's bundle.
      chain.intermediates = this.chainByLeaf.get(leafKey) ?? [];
    } else if (chain.intermediates.length > 0) {
      if (this.chainByLeaf.size >= 1024) this.chainByLeaf.clear();
      this.chainByLeaf.set(leafKey, chain.intermediates);
    }
    const cacheKey = `${material.generation}|${leafKey}|${chain.intermediates.map((b) => b.toString("base64")).join("|")}`;
    const known = this.accepted.get(cacheKey);
    if (known && this.now() < known.untilMs) return known.peer;
    const verdict = validateSvidChain(chain.leaf, chain.intermediates, material.bundle, new Date(this.now()), { purpose: "client", revoked: material.revoked });
    if (!verdict.ok) {
      this.metrics.mtlsRefused.inc({ listener, reason: verdict.code });
      this.logger.warn("mTLS client refused", { listener, code: verdict.code, reason: verdict.reason });
      return undefined;
    }
    const peer = { spiffeId: verdict.spiffeId, cluster: this.clusterOf(chain.intermediates) };
    const cert = socket.getPeerCertificate(true);
    if (this.accepted.size >= 1024) this.accepted.clear();
    this.accepted.set(cacheKey, { peer, untilMs: chainNotAfter(cert) });
    return peer;
  }

  /** The cluster of the intermediate that issued a peer's SVID (cached per intermediate). */
  private clusterOf(intermediates: readonly Buffer[]): string | undefined {
    const first = intermediates[0];
    if (!first) return undefined;
    const key = first.toString("base64");
    if (this.clusterByIssuer.has(key)) return this.clusterByIssuer.get(key);
    if (this.clusterByIssuer.size >= 256) this.clusterByIssuer.clear();
    const cluster = peerCluster(intermediates);
    this.clusterByIssuer.set(key, cluster);
    return cluster;
  }
}

/** The earliest notAfter of a peer's certificate chain (ms). */
function chainNotAfter(cert: DetailedPeerCertificate): number {
  let until = Infinity;
  for (let c: DetailedPeerCertificate | undefined = cert, i = 0; c && i < 8; c = c.issuerCertificate !== c ? c.issuerCertificate : undefined, i++) until = Math.min(until, Date.parse(c.valid_to));
  return Number.isFinite(until) ? until : 0;
}
