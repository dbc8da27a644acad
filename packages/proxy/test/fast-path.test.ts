// The HTTP/1.1 fast path keeps every feature it claims (issue 16): each
// case runs on a proxy with the fast path on, checks that the requests were
// served by it (/stats downstream.fastPath), and checks the feature as a
// user sees it: telemetry with the same metric names and labels, access
// logs, tracing, authorization, mTLS identity headers, rate limits, circuit
// breaking, outlier detection and retries of body-less requests. Requests
// the fast path leaves to node:http are handed over whole.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkloadSvid } from "@weft/identity";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { backend, config, port, send, sendMany, Stack, startUpstream, vhost, waitFor } from "./harness.ts";
import { createPki, id, inlineIdentity, issue, type Pki } from "./pki.ts";

const stack = new Stack();
afterEach(() => stack.close());

function fastServed(proxy: WeftProxy): number {
  return (proxy.stats().downstream as { fastPath: number }).fastPath;
}

function metric(proxy: WeftProxy, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return proxy
    .metricsText()
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
}

type Rule = Parameters<typeof vhost>[1][number];
type BackendExtra = Parameters<typeof backend>[2];

async function outbound(endpoints: { port: number }[], rule: Omit<Rule, "backendRefs"> = {}, extra: BackendExtra = {}, more: Partial<ProxyConfigInput> = {}) {
  const proxy = await stack.proxy(
    { ...config({ backends: [backend("svc.default", endpoints, { loadBalancer: { algorithm: "round-robin" }, ...extra })], virtualHosts: [vhost("svc", [{ ...rule, backendRefs: [{ backend: "svc.default" }] }])] }), ...more },
    { fastPath: true },
  );
  return { proxy, p: port(proxy) };
}

describe("the fast path", () => {
  it("serves plain requests and streamed bodies, and hands a request it does not take (Expect: 100-continue) to node:http", async () => {
    const up = await stack.upstream("up");
    const { proxy, p } = await outbound([up]);
    const body = Buffer.alloc(200_000, "b");
    const posted = await send({ port: p, host: "svc", method: "POST", path: "/upload", body });
    expect(posted.status).toBe(200);
    expect(posted.json<{ bodyLength: number }>().bodyLength).toBe(body.length);
    expect((await send({ port: p, host: "svc", path: "/x", headers: { expect: "100-continue" }, method: "GET" })).status).toBe(200);
    // Two requests above were served: one fast, the Expect one by node:http.
    expect(fastServed(proxy)).toBe(1);
  });

  it("counts requests per edge with the same metric names and labels, and the latency sketches", async () => {
    const up = await stack.upstream("up");
    const { proxy, p } = await outbound([up]);
    await sendMany(7, 3, () => send({ port: p, host: "svc", path: "/t" }));
    expect(fastServed(proxy)).toBe(7);
    const labels = { source_service: "frontend", source_cluster: "c1", destination_service: "svc", response_code: "200", response_flags: "-", grpc_status: "-", mtls: "false" };
    expect(metric(proxy, "weft_requests_total", labels)).toBe(7);
    expect(metric(proxy, "weft_request_duration_seconds_count", labels)).toBe(7);
    const sketches = proxy.collectTelemetry();
    expect(sketches.reduce((n, e) => n + e.count, 0)).toBe(7);
    expect(proxy.stats().downstream.requests).toBe(7);
  });

  it("writes access-log lines and traces the hop", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weft-fast-"));
    stack.defer(() => rm(dir, { recursive: true, force: true }));
    const logPath = join(dir, "access.log");
    const up = await stack.upstream("up");
    const { proxy, p } = await outbound([up], {}, {}, { telemetry: { accessLog: { path: logPath } } });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await send({ port: p, host: "svc", path: "/traced?q=1", headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, "user-agent": "fast-test" } });
    expect(r.status).toBe(200);
    expect(fastServed(proxy)).toBe(1);
    const seen = up.seen[0]?.headers.traceparent as string;
    expect(seen).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(seen).not.toContain("00f067aa0ba902b7");
    const spans = proxy.spans(0).spans;
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ traceId, parentSpanId: "00f067aa0ba902b7", kind: "client", attributes: { "http.response.status_code": 200, "url.path": "/traced" } });
    await waitFor(async () => (await readFile(logPath, "utf8").catch(() => "")).includes("\n"), 5000, "an access-log line");
    const line = JSON.parse((await readFile(logPath, "utf8")).trim().split("\n")[0] ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({ listener: "outbound", protocol: "HTTP/1.1", method: "GET", path: "/traced?q=1", response_code: 200, destination_service: "svc", user_agent: "fast-test", trace_id: traceId });
    expect(line.upstream_host).toBe(`127.0.0.1:${up.port}`);
    expect(line.request_id).toBe(up.seen[0]?.headers["x-request-id"]);
  });

  it("retries body-less requests and counts the retry", async () => {
    let calls = 0;
    const up = await stack.upstream("flaky", (_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 503 : 200, { "x-upstream": "flaky" });
      res.end(calls === 1 ? "busy" : "ok");
    });
    const { proxy, p } = await outbound([up], { retry: { maxAttempts: 3, retryOn: ["5xx"], backoff: { baseMs: 1, maxMs: 2 } } });
    const r = await send({ port: p, host: "svc", path: "/retry" });
    expect(r.status).toBe(200);
    expect(r.body).toBe("ok");
    expect(calls).toBe(2);
    expect(fastServed(proxy)).toBe(1);
    expect(metric(proxy, "weft_upstream_retries_total", { destination_service: "svc" })).toBe(1);
  });

  it("breaks the circuit above maxRequests with 503 UO", async () => {
    const up = await stack.controlled("up");
    const { proxy, p } = await outbound([up], {}, { policy: { circuitBreaker: { maxRequests: 1 } } });
    up.control.stall = true;
    const held = send({ port: p, host: "svc", path: "/held" });
    await waitFor(() => up.control.held === 1, 5000, "one request in flight");
    const refused = await send({ port: p, host: "svc", path: "/over" });
    expect(refused.status).toBe(503);
    expect(refused.headers["x-weft-flags"]).toBe("UO");
    up.control.release();
    expect((await held).status).toBe(200);
    expect(fastServed(proxy)).toBe(2);
    expect(metric(proxy, "weft_circuit_breaker_overflow_total", { destination_service: "svc", limit: "requests" })).toBe(1);
  });

  it("ejects an endpoint that keeps failing (outlier detection)", async () => {
    const bad = await stack.controlled("bad");
    bad.control.status = 500;
    const good = await stack.upstream("good");
    const { proxy, p } = await outbound([bad, good], {}, { policy: { outlierDetection: { consecutive5xx: 2, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 } } });
    await sendMany(6, 1, () => send({ port: p, host: "svc", path: "/o" }));
    expect(metric(proxy, "weft_outlier_ejections_total", { destination_service: "svc", reason: "consecutive_5xx" })).toBe(1);
    const after = await sendMany(6, 2, () => send({ port: p, host: "svc", path: "/o" }));
    expect(after.every((r) => r.status === 200 && r.headers["x-upstream"] === "good")).toBe(true);
    expect(fastServed(proxy)).toBe(12);
  });
});

describe("the fast path on inbound listeners", () => {
  let pki: Pki;
  const svids: Record<string, WorkloadSvid> = {};
  const API = id("shop", "api");
  const WEB = id("shop", "web");
  beforeAll(async () => {
    pki = await createPki("eu-1");
    svids.api = await issue(pki, API);
    svids.web = await issue(pki, WEB);
  });

  async function meshed(extra: Partial<ProxyConfigInput> = {}) {
    const app = await startUpstream("api-app");
    stack.defer(() => app.close());
    const server = await stack.proxy(
      {
        version: "v1",
        node: { service: "api", namespace: "shop", locality: { cluster: "eu-1" } },
        listeners: [
          { kind: "inbound", name: "inbound", port: 0, app: { port: app.port }, mtlsMode: "STRICT" },
          { kind: "admin", name: "admin", port: 0 },
        ],
        identity: inlineIdentity(svids.api as WorkloadSvid, [pki]),
        ...extra,
      },
      { fastPath: true },
    );
    const client = await stack.proxy(
      {
        version: "v1",
        node: { service: "web", namespace: "shop", locality: { cluster: "eu-1" } },
        listeners: [{ kind: "outbound", name: "outbound", port: 0 }],
        virtualHosts: [vhost("api", [{ backendRefs: [{ backend: "api" }] }])],
        backends: [backend("api", [{ port: port(server, "inbound") }], { namespace: "shop", mtls: { expectedIdentities: [API] } })],
        identity: inlineIdentity(svids.web as WorkloadSvid, [pki]),
      },
      { fastPath: true },
    );
    return { app, server, client, p: port(client) };
  }

  it("originates and terminates mTLS on raw sockets and sets the identity headers for the app", async () => {
    const { app, server, client, p } = await meshed();
    const r = await send({ port: p, host: "api", path: "/whoami", headers: { "x-weft-peer-identity": "spiffe://forged" } });
    expect(r.status).toBe(200);
    const headers = app.seen[0]?.headers ?? {};
    expect(headers["x-weft-peer-identity"]).toBe(WEB);
    expect(headers["x-forwarded-client-cert"]).toBe(`By=${API};URI=${WEB}`);
    expect(fastServed(client)).toBe(1);
    expect(fastServed(server)).toBe(1);
    expect(metric(server, "weft_requests_total", { source_identity: WEB, mtls: "true", response_code: "200" })).toBe(1);
    expect(metric(client, "weft_requests_total", { destination_service: "api", mtls: "true", response_code: "200" })).toBe(1);
  });

  it("enforces authorization policies (403 RBAC) and counts the decisions", async () => {
    const { app, server, p } = await meshed({
      authorization: { policies: [{ name: "no-admin", namespace: "shop", action: "DENY", rules: [{ from: { identities: [WEB] }, to: { paths: ["/admin*"] } }] }] },
    });
    expect((await send({ port: p, host: "api", path: "/public" })).status).toBe(200);
    const denied = await send({ port: p, host: "api", path: "/admin/users" });
    expect(denied.status).toBe(403);
    expect(denied.headers["x-weft-flags"]).toBe("RBAC");
    expect(app.seen.map((s) => s.url)).toEqual(["/public"]);
    expect(fastServed(server)).toBe(2);
    expect(metric(server, "weft_authz_decisions_total", { policy: "shop/no-admin", decision: "denied" })).toBe(1);
  });

  it("applies local rate limits (429 RL)", async () => {
    const app = await stack.upstream("app");
    const proxy = await stack.proxy(
      {
        ...config({ listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: app.port } }, { kind: "admin", name: "admin", port: 0 }] }),
        rateLimits: { local: [{ name: "all", key: { type: "all" }, tokensPerFill: 1, fillIntervalMs: 60_000, burst: 2 }] },
      },
      { fastPath: true },
    );
    const p = port(proxy, "inbound");
    const rs = await sendMany(4, 1, () => send({ port: p, path: "/rl" }));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 429, 429]);
    expect(rs[2]?.headers["x-weft-flags"]).toBe("RL");
    expect(rs[2]?.headers["ratelimit-limit"]).toBe("2");
    expect(fastServed(proxy)).toBe(4);
    expect(metric(proxy, "weft_rate_limited_total", { listener: "inbound", limit: "all", decision: "over_limit" })).toBe(2);
  });
});
