import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from "node:tls";
import { validateSvidChain, type SvidValidation, type SvidValidationOptions } from "./svid-validation.ts";
import type { TrustBundle } from "./trust-bundle.ts";

/** The peer's certificate chain as DER: the leaf, then what the peer sent (and, once verified, the root). */
export function peerChain(cert: PeerCertificate | DetailedPeerCertificate | undefined): { leaf: Buffer; intermediates: Buffer[] } | undefined {
  if (!cert?.raw || cert.raw.length === 0) return undefined;
  const intermediates: Buffer[] = [];
  const seen = new Set<PeerCertificate>([cert]);
  let next = (cert as DetailedPeerCertificate).issuerCertificate as DetailedPeerCertificate | undefined;
  // Node links the chain through issuerCertificate; a root points at itself.
  while (next?.raw && !seen.has(next)) {
    seen.add(next);
    intermediates.push(next.raw);
    next = next.issuerCertificate;
  }
  return { leaf: cert.raw, intermediates };
}

/** How a TLS endpoint judges its peer. */
export interface PeerVerifierOptions extends SvidValidationOptions {
  /** The bundle, or a getter so a rotated bundle is picked up without rebuilding the TLS context. */
  bundle: TrustBundle | (() => TrustBundle);
  /** SPIFFE IDs the peer may have (a list or a predicate); any ID of the trust domain when omitted. */
  expect?: readonly string[] | ((spiffeId: string) => boolean);
  /** Clock, for tests. */
  now?: () => Date;
}

function judge(cert: PeerCertificate | undefined, options: PeerVerifierOptions): SvidValidation {
  const chain = peerChain(cert);
  if (!chain) return { ok: false, code: "malformed-certificate", reason: "the peer presented no certificate" };
  const bundle = typeof options.bundle === "function" ? options.bundle() : options.bundle;
  const result = validateSvidChain(chain.leaf, chain.intermediates, bundle, options.now?.() ?? new Date(), options);
  if (!result.ok || !options.expect) return result;
  const allowed = typeof options.expect === "function" ? options.expect(result.spiffeId) : options.expect.includes(result.spiffeId);
  return allowed ? result : { ok: false, code: "untrusted", reason: `peer ${result.spiffeId} is not an identity this connection expects` };
}

/** Error returned by the TLS hooks; `code` is the SVID failure code. */
export class PeerIdentityError extends Error {
  override readonly name = "PeerIdentityError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A `checkServerIdentity` for tls.connect: replaces hostname checking with
 * X.509-SVID validation of the server (purpose "server"). Node calls it after
 * OpenSSL accepted the chain against `ca`, so give `ca` the bundle's roots too.
 */
export function spiffeServerIdentityCheck(options: PeerVerifierOptions): (hostname: string, cert: PeerCertificate) => Error | undefined {
  return (_hostname, cert) => {
    const result = judge(cert, { purpose: "server", ...options });
    return result.ok ? undefined : new PeerIdentityError(result.code, `server identity refused: ${result.reason}`);
  };
}

/**
 * Validates the peer of an established TLS socket: for a server's
 * `secureConnection` handler (purpose "client": the peer is a client) or a
 * client's `secureConnect` (purpose "server").
 * Callers destroy the socket when the result is not ok.
 */
export function verifyTlsPeer(socket: TLSSocket, options: PeerVerifierOptions & { purpose: "client" | "server" }): SvidValidation {
  return judge(socket.getPeerCertificate(true), options);
}
