// Per-edge metrics and sketches, access logs, trace propagation with a span
// per hop, OTLP/HTTP export to a local receiver, and config pushed over the
// admin listener.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatencySketch, type LatencySketchData } from "@weft/mesh-model/proxy-config";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, send, Stack, vhost } from "./harness.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

const stack = new Stack();
afterEach(() => stack.close());

async function simple(extra: Parameters<typeof config>[0] = {}) {
  const up = await stack.upstream("up");
  const proxy = await stack.proxy(
    config({
      node: { service: "frontend", namespace: "default", version: "v3", locality: { zone: "z1", cluster: "c1" } },
      backends: [backend("svc.default", [up], { version: "v2", endpoints: [{ address: "127.0.0.1", port: up.port, version: "v2", locality: { cluster: "c2" } }] })],
      virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])],
      ...extra,
    }),
  );
  return { up, proxy, p: port(proxy) };
}

function admin(p: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: p, method, path, headers, agent: false }, (res) => {
      let b = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (b += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("tap", () => {
  it("serves recent request summaries on GET /tap once someone reads, without query strings", async () => {
    const { proxy, p } = await simple();
    const adminPort = port(proxy, "admin");
    await send({ port: p, host: "svc", path: "/before-anyone-tapped" });
    const first = JSON.parse((await admin(adminPort, "GET", "/tap?after=0")).body) as { seq: number; events: { path: string }[] };
    expect(first.events).toEqual([]);
    await send({ port: p, host: "svc", path: "/products/42?token=secret" });
    const second = JSON.parse((await admin(adminPort, "GET", `/tap?after=${first.seq}`)).body) as { events: Record<string, unknown>[] };
    expect(second.events).toEqual([
      expect.objectContaining({ direction: "outbound", method: "GET", authority: "svc", path: "/products/42", status: 200, sourceService: "frontend", destinationService: "svc", destinationVersion: "v2", destinationCluster: "c2", mtls: false }),
    ]);
    expect(JSON.stringify(second)).not.toContain("secret");
    expect((await admin(adminPort, "GET", "/tap?after=-1")).status).toBe(400);
  });
});

describe("per-edge telemetry", () => {
  it("labels requests with source and destination service, version and cluster, and exposes mergeable sketches", async () => {
    const { proxy, p } = await simple();
    for (let i = 0; i < 20; i++) expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await send({ port: p, host: "nowhere" });
    const edge = {
      source_service: "frontend",
      source_version: "v3",
      source_cluster: "c1",
      destination_service: "svc",
      destination_version: "v2",
      destination_cluster: "c2",
      response_code: "200",
      response_flags: "-",
      grpc_status: "-",
      source_identity: "unknown",
      mtls: "false",
      reporter: "source",
    };
    await expect.poll(() => proxy.edges.count(edge)).toBe(20);
    const text = (await admin(port(proxy, "admin"), "GET", "/metrics")).body;
    const labels = Object.entries(edge)
      .map(([k, v]) => `${k}="${v}"`)
      .join(",");
    expect(text).toContain(`weft_requests_total{${labels}} 20`);
    expect(text).toContain(`weft_request_duration_seconds_count{${labels}} 20`);
    expect(text).toContain('response_code="404",response_flags="NR"');

    const first = JSON.parse((await admin(port(proxy, "admin"), "GET", "/telemetry?acknowledge=1")).body) as { batch: string; edges: { labels: typeof edge; count: number; sketch: LatencySketchData }[] };
    const ok = first.edges.find((e) => e.labels.response_code === "200");
    expect(ok?.count).toBe(20);
    expect(ok?.labels).toEqual(edge);
    const merged = new LatencySketch();
    for (const e of first.edges) merged.merge(e.sketch);
    expect(merged.count).toBe(21);
    expect(merged.quantile(0.5)).toBeGreaterThan(0);
    // Sketches are deltas: once acknowledged, the next batch is empty until new traffic.
    expect((await admin(port(proxy, "admin"), "POST", "/telemetry/ack", JSON.stringify({ batch: first.batch }))).status).toBe(200);
    expect(JSON.parse((await admin(port(proxy, "admin"), "GET", "/telemetry?acknowledge=1")).body)).toEqual({ batch: expect.not.stringMatching(first.batch), edges: [] });
  });

  it("serves the same batch until it is acknowledged, and counts traffic after it into the next", async () => {
    const { proxy, p } = await simple();
    const adminPort = port(proxy, "admin");
    type Batch = { batch: string; edges: { labels: Record<string, string>; count: number }[] };
    const collect = async () => JSON.parse((await admin(adminPort, "GET", "/telemetry?acknowledge=1")).body) as Batch;
    const ack = async (batch: unknown) => {
      const r = await admin(adminPort, "POST", "/telemetry/ack", JSON.stringify({ batch }));
      return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
    };
    const requests = (b: Batch) => b.edges.reduce((n, e) => n + e.count, 0);
    for (let i = 0; i < 3; i++) expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "svc" })).toBe(3);

    // Not acknowledged (the collector died before recording it): the same id and edges again.
    const first = await collect();
    expect(first.batch).toMatch(/^[0-9a-f]{16}:1$/);
    expect(requests(first)).toBe(3);
    for (let i = 0; i < 2; i++) expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "svc" })).toBe(5);
    const again = await collect();
    expect(again).toEqual(first);

    // An id that is not the pending one changes nothing and says which one is pending.
    expect(await ack(`${first.batch.split(":")[0]}:7`)).toEqual({ status: 409, body: { error: "batch: not the pending telemetry batch", pending: first.batch } });
    expect(await collect()).toEqual(first);

    expect(await ack(first.batch)).toEqual({ status: 200, body: { acked: first.batch } });
    // Acknowledging it twice (a collector that retried) is refused the same way, and loses nothing.
    const second = await collect();
    expect(second.batch).toBe(`${first.batch.split(":")[0]}:2`);
    expect(requests(second)).toBe(2);
    expect(await ack(first.batch)).toEqual({ status: 409, body: { error: "batch: not the pending telemetry batch", pending: second.batch } });
    expect(await ack(second.batch)).toEqual({ status: 200, body: { acked: second.batch } });
    expect(requests(await collect())).toBe(0);
  });

  it("resets on read for a collector that does not ask to acknowledge (an older agent), so it never gets a batch twice", async () => {
    const { proxy, p } = await simple();
    const adminPort = port(proxy, "admin");
    type Plain = { batch?: string; edges: { count: number }[] };
    const plain = async () => JSON.parse((await admin(adminPort, "GET", "/telemetry")).body) as Plain;
    const requests = (b: Plain) => b.edges.reduce((n, e) => n + e.count, 0);
    for (let i = 0; i < 3; i++) expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "svc" })).toBe(3);
    const first = await plain();
    expect(first.batch).toBeUndefined();
    expect(requests(first)).toBe(3);
    // Read again with no traffic between: nothing repeated.
    expect(requests(await plain())).toBe(0);

    // A batch an acknowledging collector left pending is handed over once, then gone; later traffic is in the next read.
    for (let i = 0; i < 2; i++) expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "svc" })).toBe(5);
    const pending = JSON.parse((await admin(adminPort, "GET", "/telemetry?acknowledge=1")).body) as { batch: string; edges: { count: number }[] };
    expect(requests(pending)).toBe(2);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "svc" })).toBe(6);
    expect(requests(await plain())).toBe(2);
    expect(requests(await plain())).toBe(1);
    expect(requests(await plain())).toBe(0);
  });

  it("refuses a malformed acknowledgement with 400 naming the field, and keeps serving", async () => {
    const { proxy } = await simple();
    const adminPort = port(proxy, "admin");
    const pending = (JSON.parse((await admin(adminPort, "GET", "/telemetry?acknowledge=1")).body) as { batch: string }).batch;
    const cases: [string, string][] = [
      ["not json", "body: not JSON"],
      ["[1]", "body: expected a JSON object"],
      ["{}", "batch: missing"],
      [JSON.stringify({ batch: 12 }), "batch: expected"],
      [JSON.stringify({ batch: "x".repeat(100) }), "batch: expected"],
      [JSON.stringify({ batch: "abc:0" }), "batch: expected"],
    ];
    for (const [body, error] of cases) {
      const r = await admin(adminPort, "POST", "/telemetry/ack", body);
      expect({ body, status: r.status, error: (JSON.parse(r.body) as { error: string }).error }).toEqual({ body, status: 400, error: expect.stringContaining(error) });
    }
    expect((await admin(adminPort, "POST", "/telemetry/ack", "x".repeat(10_000))).status).toBe(413);
    expect((await admin(adminPort, "GET", "/ready")).status).toBe(200);
    expect((JSON.parse((await admin(adminPort, "GET", "/telemetry?acknowledge=1")).body) as { batch: string }).batch).toBe(pending);
  });

  it("writes one JSON access-log line per request to the configured file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weft-access-"));
    stack.defer(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "access.log");
    const { proxy, p } = await simple({ telemetry: { accessLog: { path: file } } });
    await send({ port: p, host: "svc", path: "/a?b=1", headers: { "x-request-id": "req-1" } });
    await send({ port: p, host: "svc", path: "/missing-host", headers: { host: "nope" } });
    await proxy.close({ drainMs: 0 });
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/a?b=1", authority: "svc", response_code: 200, response_flags: "-", destination_service: "svc", destination_version: "v2", request_id: "req-1", protocol: "HTTP/1.1" });
    expect(typeof lines[0]?.duration_ms).toBe("number");
    expect(lines[1]).toMatchObject({ response_code: 404, response_flags: "NR" });
  });
});

describe("tracing", () => {
  it("continues a W3C trace: the upstream's parent is the proxy's span, whose parent is the caller's", async () => {
    const { up, proxy, p } = await simple();
    await send({ port: p, host: "svc", headers: { traceparent: `00-${T}-${S}-01` } });
    const sent = String(up.seen[0]?.headers.traceparent);
    const [, traceId, spanId, flags] = sent.split("-");
    expect(traceId).toBe(T);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe(S);
    expect(flags).toBe("01");
    const spans = JSON.parse((await admin(port(proxy, "admin"), "GET", "/spans?since=0")).body) as { next: number; spans: { traceId: string; spanId: string; parentSpanId: string; kind: string; attributes: Record<string, unknown> }[] };
    expect(spans.spans).toHaveLength(1);
    expect(spans.spans[0]).toMatchObject({ traceId: T, spanId, parentSpanId: S, kind: "client" });
    expect(spans.spans[0]?.attributes["http.response.status_code"]).toBe(200);
    // The cursor: nothing new after `next`.
    expect(JSON.parse((await admin(port(proxy, "admin"), "GET", `/spans?since=${spans.next}`)).body)).toMatchObject({ spans: [] });
  });

  it.each([
    ["b3 single", { b3: `${T}-${S}-1` }, (h: IncomingHttpHeaders) => String(h.b3).split("-")],
    ["b3 multi", { "x-b3-traceid": T, "x-b3-spanid": S, "x-b3-sampled": "1" }, (h: IncomingHttpHeaders) => [String(h["x-b3-traceid"]), String(h["x-b3-spanid"]), String(h["x-b3-sampled"]), String(h["x-b3-parentspanid"])]],
  ])("propagates %s with the proxy's span as the new parent", async (_name, headers, read) => {
    const { up, proxy, p } = await simple();
    await send({ port: p, host: "svc", headers });
    const [traceId, spanId, sampled, parent] = read(up.seen[0]?.headers ?? {});
    expect(traceId).toBe(T);
    expect(sampled).toBe("1");
    expect(parent).toBe(S);
    expect(proxy.spans(0).spans[0]).toMatchObject({ traceId: T, spanId, parentSpanId: S });
    expect(up.seen[0]?.headers.traceparent).toBeUndefined();
  });

  it("records a span per hop across an outbound and an inbound proxy, and starts sampled traces", async () => {
    const app = await stack.upstream("app");
    const inbound = await stack.proxy(
      config({
        node: { service: "backend", namespace: "default", locality: { cluster: "c1" } },
        listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: app.port } }],
      }),
    );
    const outbound = await stack.proxy(
      config({
        backends: [backend("backend.default", [{ port: port(inbound, "inbound") }])],
        virtualHosts: [vhost("backend", [{ backendRefs: [{ backend: "backend.default" }] }])],
        telemetry: { tracing: { sampleRate: 1 } },
      }),
    );
    expect((await send({ port: port(outbound), host: "backend" })).status).toBe(200);
    const [hop1] = outbound.spans(0).spans;
    const [hop2] = inbound.spans(0).spans;
    expect(hop1?.parentSpanId).toBeNull();
    expect(hop2).toMatchObject({ traceId: hop1?.traceId, parentSpanId: hop1?.spanId, kind: "server" });
    expect(app.seen[0]?.headers.traceparent).toBe(`00-${hop1?.traceId}-${hop2?.spanId}-01`);
  });

  it("decides sampling once per request: a 'no' at the first proxy travels on, so later hops record no fragments", async () => {
    const app = await stack.upstream("app");
    // The next hop samples everything it starts itself; it must still honour the first proxy's decision.
    const inbound = await stack.proxy(
      config({
        node: { service: "backend", namespace: "default", locality: { cluster: "c1" } },
        listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: app.port } }],
        telemetry: { tracing: { sampleRate: 1 } },
      }),
    );
    const outbound = await stack.proxy(
      config({
        backends: [backend("backend.default", [{ port: port(inbound, "inbound") }])],
        virtualHosts: [vhost("backend", [{ backendRefs: [{ backend: "backend.default" }] }])],
        // Sampling on, but (practically) never choosing a request.
        telemetry: { tracing: { sampleRate: 1e-12 } },
      }),
    );
    for (let i = 0; i < 5; i++) expect((await send({ port: port(outbound), host: "backend" })).status).toBe(200);
    expect(app.seen.map((r) => String(r.headers.traceparent))).toEqual(Array.from({ length: 5 }, () => expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)));
    expect(outbound.spans(0).spans).toEqual([]);
    expect(inbound.spans(0).spans).toEqual([]);
  });

  it("does not trace untraced requests when sampling is off, and does not record unsampled ones", async () => {
    const { up, proxy, p } = await simple();
    await send({ port: p, host: "svc" });
    await send({ port: p, host: "svc", headers: { traceparent: `00-${T}-${S}-00` } });
    expect(up.seen[0]?.headers.traceparent).toBeUndefined();
    expect(String(up.seen[1]?.headers.traceparent)).toMatch(new RegExp(`^00-${T}-[0-9a-f]{16}-00$`));
    expect(proxy.spans(0).spans).toEqual([]);
  });

  it("exports spans through the OTLP/HTTP exporter to a configured endpoint", async () => {
    const received: unknown[] = [];
    const collector = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        received.push({ url: req.url, contentType: req.headers["content-type"], body: JSON.parse(body) as unknown });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
    stack.defer(() => new Promise<void>((r) => (collector.close(() => r()), collector.closeAllConnections())));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
    const { proxy, p } = await simple({ telemetry: { tracing: { otlpEndpoint: endpoint } } });
    await send({ port: p, host: "svc", headers: { traceparent: `00-${T}-${S}-01` } });
    await expect.poll(() => proxy.spans(0).spans.length).toBe(1);
    await proxy.flushSpans();
    await expect.poll(() => received.length).toBe(1);
    const got = received[0] as { url: string; contentType: string; body: { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId: string; name: string }[] }[] }[] } };
    expect(got.url).toBe("/v1/traces");
    expect(got.contentType).toContain("application/json");
    const span = got.body.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span).toMatchObject({ traceId: T, parentSpanId: S, spanId: proxy.spans(0).spans[0]?.spanId, name: "GET svc" });
    expect(got.body.resourceSpans[0]?.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "frontend" } });
  });
});

describe("config over the admin listener", () => {
  it("applies a pushed config (200 with the version), refuses a bad one (400) or a stale precondition (409) while the old keeps serving", async () => {
    const up = await stack.upstream("up");
    const next = await stack.upstream("next");
    const base = config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] });
    const proxy = await stack.proxy(base);
    const a = port(proxy, "admin");
    const p = port(proxy);

    const bad = await admin(a, "PUT", "/config", JSON.stringify({ ...base, version: "v2", backends: [] }), { "content-type": "application/json" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: "config refused", activeVersion: "v1" });
    expect(bad.body).toContain("unknown backend 'svc.default'");
    expect((await admin(a, "PUT", "/config", "{not json")).status).toBe(400);
    expect((await send({ port: p, host: "svc" })).headers["x-upstream"]).toBe("up");

    const v2 = { ...base, version: "v2", listeners: undefined, backends: [backend("svc.default", [next])] };
    delete v2.listeners;
    const stale = await admin(a, "PUT", "/config", JSON.stringify({ ...v2, listeners: base.listeners }), { "if-match": '"v0"' });
    expect(stale.status).toBe(409);
    expect(JSON.parse(stale.body)).toMatchObject({ activeVersion: "v1" });

    const ok = await admin(a, "PUT", "/config", JSON.stringify({ ...v2, listeners: base.listeners }), { "if-match": '"v1"' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ version: "v2" });
    expect(proxy.version).toBe("v2");
    expect((await send({ port: p, host: "svc" })).headers["x-upstream"]).toBe("next");
    expect(JSON.parse((await admin(a, "GET", "/config")).body)).toMatchObject({ version: "v2" });
  });
});
