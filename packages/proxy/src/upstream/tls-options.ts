// TLS client options of a backend's connections: plain TLS (`backend.tls`)
// or mTLS origination with the workload's SVID, judged by the SPIFFE rules.
// Pools, HTTP/2 sessions and health checks all connect with these.
import type { ConnectionOptions, DetailedPeerCertificate } from "node:tls";
import { spiffeServerIdentityCheck } from "@weft/identity";
import { matchesIdentityPattern } from "@weft/mesh-model/authorization";
import type { Backend, UpstreamTls } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";

/** TLS client options for an endpoint of a backend with `tls`. */
export function tlsClientOptions(tls: UpstreamTls, address: string, alpn: string[]) {
  return {
    servername: tls.serverName ?? (/^[\d.:]+$/.test(address) ? undefined : address),
    ca: tls.caPem,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ALPNProtocols: alpn,
  };
}

/**
 * TLS client options for one endpoint of a backend (per address and the
 * endpoint's `sni`, which an east-west gateway routes on), or undefined for plain TCP.
 */
export type TlsFor = (address: string, alpn: string[], sni?: string) => ConnectionOptions;

/**
 * mTLS origination: present the workload's SVID, trust the bundle's roots
 * (OpenSSL checks the chain), then judge the server by the X.509-SVID rules
 * and require one of the SPIFFE IDs the destination may have. A refusal
 * surfaces as a PeerIdentityError from the connection.
 */
export function mtlsClientOptions(backend: Backend, identity: IdentityMaterial): TlsFor {
  const expected = backend.mtls?.expectedIdentities ?? [];
  const base: ConnectionOptions = {
    cert: identity.certChainPem,
    key: identity.keyPem,
    ca: identity.caPem,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    checkServerIdentity: rememberAccepted(spiffeServerIdentityCheck({ bundle: identity.bundle, revoked: identity.revoked, expect: (id) => expected.some((p) => matchesIdentityPattern(p, id)) })),
  };
  const byAlpn = new Map<string, ConnectionOptions>();
  return (_address, alpn, sni) => {
    // The server name is part of the https.Agent's pool key: connections to one gateway for different services never mix.
    const key = sni === undefined ? alpn.join(",") : `${alpn.join(",")}|${sni}`;
    let options = byAlpn.get(key);
    if (!options) {
      // Bounded by the backend's (alpn, sni) pairs: a config lists its endpoints.
      options = { ...base, ALPNProtocols: alpn, ...(sni !== undefined ? { servername: sni } : {}) };
      byAlpn.set(key, options);
    }
    return options;
  };
}

type IdentityCheck = NonNullable<ConnectionOptions["checkServerIdentity"]>;

/**
 * Remembers server chains the SPIFFE check accepted, until the first
 * certificate of the chain expires: a pool of mTLS connections (and every
 * reconnect) then costs OpenSSL's chain check only, not the X.509-SVID
 * rules in JavaScript again. The cache lives with these options, which a new
 * SVID, bundle or revocation list replaces; refusals are never remembered.
 */
function rememberAccepted(check: IdentityCheck): IdentityCheck {
  const accepted = new Map<string, number>();
  return (host, peer) => {
    const cert = peer as PeerCert;
    const key = chainKey(cert);
    const until = accepted.get(key);
    if (until !== undefined && Date.now() < until) return undefined;
    const refused = check(host, peer);
    if (!refused) {
      if (accepted.size >= 1024) accepted.clear();
      accepted.set(key, chainNotAfter(cert));
    }
    return refused;
  };
}

/** What node:tls hands checkServerIdentity: the detailed certificate, issuers linked. */
type PeerCert = DetailedPeerCertificate;

function chainKey(cert: PeerCert): string {
  let key = "";
  for (let c: PeerCert | undefined = cert, i = 0; c && i < 8; c = c.issuerCertificate !== c ? c.issuerCertificate : undefined, i++) key += c.fingerprint256;
  return key;
}

function chainNotAfter(cert: PeerCert): number {
  let until = Infinity;
  for (let c: PeerCert | undefined = cert, i = 0; c && i < 8; c = c.issuerCertificate !== c ? c.issuerCertificate : undefined, i++) until = Math.min(until, Date.parse(c.valid_to));
  return Number.isFinite(until) ? until : 0;
}

export function tlsForBackend(backend: Backend, identity: IdentityMaterial | undefined): TlsFor | undefined {
  if (backend.mtls) return identity ? mtlsClientOptions(backend, identity) : undefined;
  const tls = backend.tls;
  return tls ? (address, alpn) => tlsClientOptions(tls, address, alpn) : undefined;
}

