import { describe, expect, it } from "vitest";
import { verdictOf } from "./token-review.ts";

const pod = { "authentication.kubernetes.io/pod-name": ["reviews-1"], "authentication.kubernetes.io/pod-uid": ["u-1"] };

describe("reading a TokenReview status", () => {
  it.each([
    ["a projected token of a pod, for weft-agent", { authenticated: true, audiences: ["weft-agent"], user: { username: "system:serviceaccount:shop:reviews", extra: pod } }, { ok: true, identity: { namespace: "shop", serviceAccount: "reviews", pod: "reviews-1", podUid: "u-1" } }],
    ["a token bound to no pod", { authenticated: true, audiences: ["weft-agent"], user: { username: "system:serviceaccount:shop:reviews" } }, { ok: true, identity: { namespace: "shop", serviceAccount: "reviews", pod: undefined, podUid: undefined } }],
    ["a token the API server refuses", { authenticated: false, error: "invalid bearer token" }, { ok: false, reason: "the token is not valid: invalid bearer token" }],
    // An empty audience list means "valid for the API server": not a token minted for the agent.
    ["a token for the API server's audience", { authenticated: true, audiences: [], user: { username: "system:serviceaccount:shop:reviews", extra: pod } }, { ok: false, reason: "the token is not for the audience weft-agent" }],
    ["a user's token", { authenticated: true, audiences: ["weft-agent"], user: { username: "alice@example.com" } }, { ok: false, reason: "the token is not a service-account token" }],
    ["no status", undefined, { ok: false, reason: "the token is not valid" }],
  ])("%s", (_what, status, verdict) => {
    expect(verdictOf(status)).toEqual(verdict);
  });
});
