// Request mirroring: a fire-and-forget copy of a request to a shadow backend.
// The copy never touches the primary: it has its own cancel token, its own
// backend pool, a bound on copies in flight (above it copies are dropped and
// counted) and a timeout; its response is read and discarded. Only buffered
// bodies (up to limits.retryBufferBytes) are copied.
import type { OutgoingHttpHeaders } from "node:http";
import type { RequestMirror } from "@weft/mesh-model/proxy-config";
import type { BackendRuntime } from "../upstream/backend-runtime.ts";
import type { ForwardEnv } from "./forward-env.ts";
import { Cancel, sendAttempt, type RequestBody } from "../upstream/upstream-attempt.ts";

/** Marker header on every mirrored copy. */
export const MIRROR_HEADER = "x-weft-mirror";

/** `reviews.shop:9080` → `reviews.shop-shadow:9080` (Envoy's and Istio's convention). */
export function shadowAuthority(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(authority);
  if (!m) return `${authority}-shadow`;
  return `${m[1] ?? ""}-shadow${m[2] ?? ""}`;
}

const inFlight = new WeakMap<BackendRuntime["breaker"], number>();

export function sendMirror(
  env: ForwardEnv,
  shadow: BackendRuntime,
  spec: RequestMirror,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body: Exclude<RequestBody, { kind: "stream" }>,
): void {
  const labels = { destination_service: shadow.spec.service, result: "" };
  // Counted per shadow backend (its breaker object is shared across config versions).
  const key = shadow.breaker;
  const current = inFlight.get(key) ?? 0;
  if (current >= spec.maxInFlight) {
    labels.result = "dropped";
    env.metrics.mirrors.inc(labels);
    return;
  }
  const view = shadow.pick({ random: env.random, now: env.now() });
  if (!view) {
    labels.result = "failed";
    env.metrics.mirrors.inc(labels);
    return;
  }
  inFlight.set(key, current + 1);
  const copy: OutgoingHttpHeaders = { ...headers, [MIRROR_HEADER]: "1" };
  if (typeof headers.host === "string") copy.host = shadowAuthority(headers.host);
  delete copy["grpc-timeout"];
  const release = shadow.pool.hold();
  let done = false;
  const finish = (result: "completed" | "failed") => {
    if (done) return;
    done = true;
    inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    release();
    labels.result = result;
    env.metrics.mirrors.inc(labels);
  };
  const cancel = new Cancel();
  const timer = setTimeout(() => cancel.cancel(), spec.timeoutMs);
  timer.unref();
  void sendAttempt(
    {
      address: view.endpoint.address,
      port: view.endpoint.port,
      agent: shadow.pool.agent,
      h2: shadow.pool.h2,
      tls: shadow.pool.tlsFor?.(view.endpoint.address, shadow.pool.h2 ? ["h2"] : ["http/1.1"]),
      verifiesPeer: shadow.pool.verifiesPeer,
      method,
      path,
      headers: copy,
      body,
      connectTimeoutMs: shadow.spec.policy.connectTimeoutMs,
      headersTimeoutMs: spec.timeoutMs,
      idleTimeoutMs: Math.min(shadow.spec.policy.idleTimeoutMs, spec.timeoutMs),
    },
    cancel,
  ).then((r) => {
    if (r.kind === "failure") {
      clearTimeout(timer);
      finish("failed");
      return;
    }
    const res = r.res;
    // Discard the answer; the timer still bounds a shadow that stalls mid-body.
    cancel.onCancel(() => res.destroy());
    res.body.on("error", () => undefined);
    res.body.once("close", () => {
      clearTimeout(timer);
      finish("completed");
    });
    res.body.resume();
  });
}
