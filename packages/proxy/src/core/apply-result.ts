// What applying a config answers: the proxy, its admin listener and the pull
// channel to the agent all speak it.
import type { ProxyConfigIssue } from "@weft/mesh-model/proxy-config";

/**
 * The result of `applyConfig`: applied, or refused with the reason (the old
 * config keeps serving). `invalid`: the config itself is wrong; `conflict`:
 * it is valid but cannot be applied now (a port is taken, shutting down, a
 * version precondition failed).
 */
export type ApplyResult =
  | { ok: true; version: string }
  | { ok: false; kind: "invalid" | "conflict"; reason: string; issues: ProxyConfigIssue[] };

/** Thrown by `WeftProxy.start` when the first config is refused. */
export class ProxyConfigError extends Error {
  readonly code = "PROXY_CONFIG_REFUSED";
  constructor(readonly reason: string, readonly issues: ProxyConfigIssue[]) {
    super(`config refused: ${reason}`);
    this.name = "ProxyConfigError";
  }
}
