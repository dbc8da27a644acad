// Traces: agents' spans stored under their own cluster, once, and read back
// as recent traces of a service and as one trace's span tree.
import type { WireSpan } from "@weft/mesh-model";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const traceId = (n: number) => `a${hex(n, 31)}`;
const spanId = (n: number) => `b${hex(n, 15)}`;

describe("traces", () => {
  let m: TestManager;
  let admin: ApiClient;
  let east: ApiClient;
  const t0 = Date.now() - 60_000;

  /**
   * Trace 1: frontend → checkout → ledger, ledger answers 503.
   *   frontend CLIENT (1) → checkout SERVER (2) → checkout CLIENT (3) → ledger SERVER (4)
   * Trace 2: frontend → cart only (does not touch checkout), later.
   * Trace 3: a checkout SERVER span whose caller's span was never reported, latest.
   */
  const spans: WireSpan[] = [
    { traceId: traceId(1), spanId: spanId(1), parentSpanId: null, namespace: "shop", service: "frontend", version: "v1", kind: "CLIENT", name: "GET checkout", startTime: t0, durationMs: 40, statusCode: 503, peerService: "shop/checkout", attributes: { "url.path": "/buy" } },
    { traceId: traceId(1), spanId: spanId(2), parentSpanId: spanId(1), namespace: "shop", service: "checkout", version: "v2", kind: "SERVER", name: "GET checkout", startTime: t0 + 2, durationMs: 36, statusCode: 503 },
    { traceId: traceId(1), spanId: spanId(3), parentSpanId: spanId(2), namespace: "shop", service: "checkout", version: "v2", kind: "CLIENT", name: "POST ledger", startTime: t0 + 5, durationMs: 30, statusCode: 503, responseFlags: "UF", peerService: "payments/ledger" },
    { traceId: traceId(1), spanId: spanId(4), parentSpanId: spanId(3), namespace: "payments", service: "ledger", kind: "SERVER", name: "POST ledger", startTime: t0 + 7, durationMs: 25, statusCode: 503 },
    { traceId: traceId(2), spanId: spanId(5), namespace: "shop", service: "frontend", version: "v1", kind: "CLIENT", name: "GET cart", startTime: t0 + 1000, durationMs: 4, statusCode: 200, peerService: "shop/cart" },
    { traceId: traceId(3), spanId: spanId(6), parentSpanId: spanId(99), namespace: "shop", service: "checkout", version: "v1", kind: "SERVER", name: "GET checkout", startTime: t0 + 2000, durationMs: 8, statusCode: 200 },
  ];

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    east = (await joinedAgent(admin, m.url, "east")).client;
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("stores an agent's spans under its own cluster, once", async () => {
    expect(await east.agent.reportSpans.mutate({ spans })).toEqual({ stored: 6, duplicates: 0, outsideRetention: 0 });
    // The same report again, as after a lost answer: nothing new.
    expect(await east.agent.reportSpans.mutate({ spans, dropped: 3 })).toEqual({ stored: 0, duplicates: 6, outsideRetention: 0 });
    const rows = await m.db.prisma.span.findMany({ orderBy: { startTime: "asc" } });
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.cluster))).toEqual(new Set(["east"]));
  });

  it("refuses a span that names a cluster, storing nothing of the report", async () => {
    const before = await m.db.prisma.span.count();
    const extra = { ...spans[0], spanId: spanId(50) } as WireSpan;
    const err = await east.agent.reportSpans.mutate({ spans: [extra, { ...extra, spanId: spanId(51), cluster: "west" } as WireSpan] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<never>).data).toMatchObject({ code: "BAD_REQUEST" });
    expect(JSON.stringify((err as TRPCClientError<never>).data)).toContain("spans[1]");
    expect(await m.db.prisma.span.count()).toBe(before);
  });

  it("lists a service's recent traces, newest first, with their shape", async () => {
    const { traces } = await admin.telemetry.traces.query({ namespace: "shop", service: "checkout", from: new Date(t0 - 60_000), to: new Date(t0 + 60_000) });
    expect(traces.map((t) => t.traceId)).toEqual([traceId(3), traceId(1)]);
    const [orphan, failed] = traces;
    expect(failed).toMatchObject({
      rootName: "GET checkout",
      rootService: "shop/frontend",
      spanCount: 4,
      error: true,
      services: ["payments/ledger", "shop/checkout", "shop/frontend"],
    });
    expect(failed?.start.getTime()).toBe(t0);
    expect(failed?.durationMs).toBe(40);
    // Its caller's span is missing: the earliest span without a stored parent is the root.
    expect(orphan).toMatchObject({ rootService: "shop/checkout", spanCount: 1, error: false, durationMs: 8 });
  });

  it("filters to failed traces, to the window and to the limit", async () => {
    const window = { namespace: "shop", service: "checkout", from: new Date(t0 - 60_000), to: new Date(t0 + 60_000) };
    expect((await admin.telemetry.traces.query({ ...window, errorsOnly: true })).traces.map((t) => t.traceId)).toEqual([traceId(1)]);
    expect((await admin.telemetry.traces.query({ ...window, limit: 1 })).traces.map((t) => t.traceId)).toEqual([traceId(3)]);
    expect((await admin.telemetry.traces.query({ ...window, from: new Date(t0 + 1500) })).traces.map((t) => t.traceId)).toEqual([traceId(3)]);
    // A service only called (ledger records its own SERVER span; cart only appears as a peer).
    expect((await admin.telemetry.traces.query({ ...window, service: "cart" })).traces.map((t) => t.traceId)).toEqual([traceId(2)]);
  });

  it("returns one trace's spans with their parent links", async () => {
    const trace = await admin.telemetry.trace.query({ traceId: traceId(1) });
    expect(trace.spans.map((s) => [s.spanId, s.parentSpanId, `${s.namespace}/${s.service}`, s.kind, s.error])).toEqual([
      [spanId(1), null, "shop/frontend", "CLIENT", true],
      [spanId(2), spanId(1), "shop/checkout", "SERVER", true],
      [spanId(3), spanId(2), "shop/checkout", "CLIENT", true],
      [spanId(4), spanId(3), "payments/ledger", "SERVER", true],
    ]);
    expect(trace.spans[2]).toMatchObject({ cluster: "east", responseFlags: "UF", peerService: "payments/ledger", durationMs: 30 });
    expect(trace.spans[0]?.attributes).toEqual({ "url.path": "/buy" });
    const missing = await admin.telemetry.trace.query({ traceId: traceId(77) }).catch((e: unknown) => e);
    expect((missing as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" });
  });

  it("skips spans outside the retention window and prunes old ones", async () => {
    const old = { ...spans[4], traceId: traceId(9), spanId: spanId(9), startTime: Date.now() - 2 * 3_600_000 } as WireSpan;
    expect(await east.agent.reportSpans.mutate({ spans: [old] })).toEqual({ stored: 0, duplicates: 0, outsideRetention: 1 });
    // A span stored before the retention was lowered (or before a long outage) goes at the next prune.
    await m.db.prisma.span.create({ data: { traceId: traceId(10), spanId: spanId(10), cluster: "east", namespace: "shop", service: "frontend", kind: "CLIENT", name: "GET old", startTime: new Date(Date.now() - 2 * 3_600_000), durationMs: 1 } });
    expect(await m.services.spans.prune()).toBe(1);
    expect(await m.db.prisma.span.count({ where: { traceId: traceId(10) } })).toBe(0);
    expect(await m.db.prisma.span.count()).toBe(6);
  });
});
