// How the agent decides that the server it reached is its manager. By default
// Node's trust store (the system's CAs, plus NODE_EXTRA_CA_CERTS) and the
// host name; with a CA bundle (`--manager-ca`), that bundle instead of the
// system's; with a pin (`--manager-pin sha256/<base64>`), the manager's public
// key must be exactly the pinned one — on top of the chain check when a CA is
// also given, or alone (like an SSH host key) for a self-signed manager.
// A wrong certificate fails the connection before any credential is sent.
import { createHash, X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";

/** What the agent trusts the manager's certificate by. */
export interface ManagerTrust {
  /** PEM CA bundle to verify the manager's chain with, instead of the system's CAs. */
  caPem?: string | undefined;
  /** `sha256/<base64>` of the manager certificate's public key (SubjectPublicKeyInfo). */
  pin?: string | undefined;
}

/** The manager presented a certificate the agent does not trust. */
export class ManagerCertificateError extends Error {
  override readonly name = "ManagerCertificateError";
  readonly code = "MANAGER_CERTIFICATE_REJECTED";
}

export const PIN_PATTERN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

/** The pin of a certificate (PEM or DER): `sha256/` and the base64 SHA-256 of its SubjectPublicKeyInfo, as `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` prints it. */
export function publicKeyPin(certificate: string | Buffer): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" });
  return `sha256/${createHash("sha256").update(spki).digest("base64")}`;
}

/**
 * A fetch that holds the manager to `trust`, or undefined for the default
 * (Node's own fetch and trust store). Both the tRPC calls and the config
 * stream go through it.
 */
export function managerFetch(trust: ManagerTrust | undefined): typeof fetch | undefined {
  if (!trust?.caPem && !trust?.pin) return undefined;
  const { caPem, pin } = trust;
  // A pin alone trusts that key whatever signed it (the chain is not checked); with a CA, both must hold.
  const base = buildConnector({ ...(caPem ? { ca: caPem } : {}), rejectUnauthorized: caPem !== undefined || pin === undefined });
  const dispatcher = new Agent({
    connect: (options, callback) =>
      base(options, (err, socket) => {
        if (err || !socket) return callback(err ?? new ManagerCertificateError("no connection"), null);
        if (!pin) return callback(null, socket);
        const raw = (socket as TLSSocket).getPeerCertificate?.()?.raw;
        const seen = raw ? publicKeyPin(raw) : "none";
        if (seen === pin) return callback(null, socket);
        socket.destroy();
        callback(new ManagerCertificateError(`the manager at ${options.hostname} presented a certificate whose key pin is ${seen}, not the configured ${pin}; refusing to connect`), null);
      }),
  });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
