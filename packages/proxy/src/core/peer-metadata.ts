// Peer metadata (issue 12; Istio exchanges the same in x-envoy-peer-metadata):
// a caller's proxy names its service and version in one header on mTLS
// requests, so the destination's inbound side can count the edge under the
// caller's service. The cluster is never taken from the header: it comes
// from the verified certificate chain (the cluster's intermediate).
import type { OutgoingHttpHeaders } from "node:http";
import type { PeerIdentity } from "./peer-identity.ts";

/** `<service>;<version>` of the calling workload, set by its proxy on mTLS requests only. */
export const PEER_METADATA_HEADER = "x-weft-peer-metadata";

const SERVICE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9]([-A-Za-z0-9._]{0,61}[A-Za-z0-9])?$/;

/** The header value a proxy of `node` sends. */
export function peerMetadataValue(node: { service: string; version?: string | undefined }): string {
  return node.version !== undefined ? `${node.service};${node.version}` : node.service;
}

/**
 * Who called, as the inbound side counts it: the service and version the
 * caller's proxy stated, when the connection is mTLS with a verified peer;
 * without the header (an older proxy), the service account of the verified
 * SPIFFE ID stands for the service. Anonymous callers stay "unknown".
 */
export function peerSource(header: string | string[] | undefined, peer: PeerIdentity | undefined): { service: string; version: string } {
  if (!peer) return { service: "unknown", version: "unknown" };
  const value = typeof header === "string" ? header : undefined;
  if (value !== undefined) {
    const [service, version] = value.split(";", 2);
    if (service !== undefined && SERVICE.test(service)) return { service, version: version !== undefined && VERSION.test(version) ? version : "unknown" };
  }
  const account = /\/sa\/([^/]+)$/.exec(peer.spiffeId)?.[1];
  return { service: account ?? "unknown", version: "unknown" };
}

/** Outbound: states the caller on mTLS requests, and never passes on a value the app set. */
export function setPeerMetadata(headers: OutgoingHttpHeaders, mtls: boolean, node: { service: string; version?: string | undefined }): void {
  if (mtls) headers[PEER_METADATA_HEADER] = peerMetadataValue(node);
  else delete headers[PEER_METADATA_HEADER];
}
