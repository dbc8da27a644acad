// The caller a connection authenticated with mTLS. The listener that
// terminates mTLS leaves it on the socket; the request path reads it back.
import type { IncomingMessage } from "node:http";

/** What is known about an authenticated peer. */
export interface PeerIdentity {
  spiffeId: string;
  /** The cluster whose intermediate signed the peer's SVID, when it is a Weft cluster CA. */
  cluster: string | undefined;
}

/** Where an mTLS listener leaves the authenticated peer: a property of the TLS socket (read through `peerOf`). */
export const PEER = Symbol("weft.peer");

/** Marks `socket` as authenticated as `peer`. */
export function setPeer(socket: object, peer: PeerIdentity): void {
  (socket as { [PEER]?: PeerIdentity })[PEER] = peer;
}

/** The peer a socket authenticated as, if any. */
export function peerOfSocket(socket: object | undefined): PeerIdentity | undefined {
  return (socket as { [PEER]?: PeerIdentity } | undefined)?.[PEER];
}

/** The peer a request's connection authenticated with mTLS, if any (HTTP/1.1 and HTTP/2 alike). */
export function peerOf(req: IncomingMessage): PeerIdentity | undefined {
  return peerOfSocket(req.socket);
}
