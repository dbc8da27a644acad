// Who is calling the sidecar API: the pod's projected service-account token
// (audience `weft-agent`), checked by the API server through a TokenReview
// (authentication.k8s.io/v1), never decoded and trusted locally.
import { createHash } from "node:crypto";
import { AuthenticationV1Api, type KubeConfig } from "@kubernetes/client-node";

/** The audience the webhook asks the kubelet to mint sidecar tokens for. */
export const SIDECAR_TOKEN_AUDIENCE = "weft-agent";

/** What an authenticated sidecar token says about its holder. */
export interface TokenIdentity {
  namespace: string;
  serviceAccount: string;
  /** The pod the token is bound to (projected tokens are); undefined for a token bound to no pod. */
  pod: string | undefined;
  podUid: string | undefined;
}

export type TokenVerdict = { ok: true; identity: TokenIdentity } | { ok: false; reason: string };

export interface TokenReviewer {
  /** Rejects only when the review itself could not be made (API server unreachable). */
  review(token: string): Promise<TokenVerdict>;
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const POD_NAME = "authentication.kubernetes.io/pod-name";
const POD_UID = "authentication.kubernetes.io/pod-uid";

/** Reads a TokenReview status: authenticated, for our audience, a service account. Pure. */
export function verdictOf(status: { authenticated?: boolean; audiences?: string[]; error?: string; user?: { username?: string; extra?: Record<string, string[]> } } | undefined): TokenVerdict {
  if (!status?.authenticated) return { ok: false, reason: `the token is not valid${status?.error ? `: ${status.error}` : ""}` };
  // An audience-aware API server echoes the audience it matched; an empty list means "valid for the API server", not for us.
  if (!status.audiences?.includes(SIDECAR_TOKEN_AUDIENCE)) return { ok: false, reason: `the token is not for the audience ${SIDECAR_TOKEN_AUDIENCE}` };
  const match = SA_USER.exec(status.user?.username ?? "");
  if (!match) return { ok: false, reason: "the token is not a service-account token" };
  const extra = status.user?.extra ?? {};
  return { ok: true, identity: { namespace: match[1]!, serviceAccount: match[2]!, pod: extra[POD_NAME]?.[0], podUid: extra[POD_UID]?.[0] } };
}

/**
 * TokenReviews through @kubernetes/client-node, remembered for a short while
 * (by the token's SHA-256, never the token) so a sidecar's polls do not each
 * cost an API call.
 */
export class KubeTokenReviewer implements TokenReviewer {
  readonly #api: AuthenticationV1Api;
  readonly #cache = new Map<string, { verdict: TokenVerdict; until: number }>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly cacheMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.#api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  async review(token: string): Promise<TokenVerdict> {
    const key = createHash("sha256").update(token).digest("hex");
    const now = this.now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return cached.verdict;
    const answer = await this.#api.createTokenReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences: [SIDECAR_TOKEN_AUDIENCE] } } });
    const verdict = verdictOf(answer.status);
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(key, { verdict, until: now + this.cacheMs });
    return verdict;
  }
}
