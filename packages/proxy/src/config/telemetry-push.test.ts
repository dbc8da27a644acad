import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import type { EdgeLabels, EdgeReport } from "../observability/edge-telemetry.ts";
import { TelemetryPusher, type PushableTelemetry } from "./telemetry-push.ts";
import type { FinishedSpan } from "../observability/tracing.ts";

/** A proxy stand-in: requests counted per destination until collected, spans in a list. */
class FakeProxy implements PushableTelemetry {
  pending = new Map<string, number>();
  finished: FinishedSpan[] = [];
  record(destination: string, n = 1): void {
    this.pending.set(destination, (this.pending.get(destination) ?? 0) + n);
  }
  collectTelemetry(): EdgeReport[] {
    const edges = [...this.pending].map(([destination, count]) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < count; i++) sketch.add(0.005);
      return { labels: { source_service: "reviews", destination_service: destination } as EdgeLabels, count, sketch: sketch.toJSON() };
    });
    this.pending.clear();
    return edges;
  }
  spans(since: number, limit = 1000) {
    const spans = this.finished.filter((s) => s.seq > since).slice(0, limit);
    return { next: spans.at(-1)?.seq ?? since, dropped: 0, spans };
  }
}

const span = (seq: number): FinishedSpan => ({
  seq,
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: `00f067aa0ba902${seq.toString(16).padStart(2, "0")}`,
  parentSpanId: null,
  name: "GET ratings",
  kind: "client",
  startTimeUnixNano: "1700000000000000000",
  endTimeUnixNano: "1700000000001000000",
  durationMs: 1,
  error: false,
  attributes: { "url.path": "/" },
});

type Posted = { path: string; body: { batch: { instance: string; seq: number }; edges?: EdgeReport[]; spans?: FinishedSpan[] } };

/** An agent whose answers can be lost (the batch arrived, the sidecar never heard) or that refuses. */
function fakeAgent() {
  const received: Posted[] = [];
  const applied = new Set<string>();
  const agent = {
    received,
    loseAnswers: 0,
    refuse: 0,
    down: false,
    /** Requests per destination the agent applied, each batch id once. */
    totals: new Map<string, number>(),
    post: async (path: string, body: unknown) => {
      if (agent.down) throw Object.assign(new Error("connect ECONNREFUSED"), { status: undefined });
      const b = structuredClone(body) as Posted["body"];
      received.push({ path, body: b });
      if (agent.refuse > 0) {
        agent.refuse--;
        throw Object.assign(new Error("400 invalid"), { status: 400 });
      }
      const id = `${path} ${b.batch.instance} ${b.batch.seq}`;
      const duplicate = applied.has(id);
      if (!duplicate) {
        applied.add(id);
        for (const e of b.edges ?? []) agent.totals.set(e.labels.destination_service, (agent.totals.get(e.labels.destination_service) ?? 0) + e.count);
      }
      if (agent.loseAnswers > 0) {
        agent.loseAnswers--;
        throw new Error("socket hang up");
      }
      return { accepted: duplicate ? 0 : 1, duplicate };
    },
  };
  return agent;
}

describe("TelemetryPusher", () => {
  it("resends an unanswered batch unchanged and takes what came meanwhile only after it, so nothing is lost or counted twice", async () => {
    const proxy = new FakeProxy();
    const agent = fakeAgent();
    const pusher = new TelemetryPusher(proxy, agent.post, { namespace: "shop", name: "reviews-1" });

    proxy.record("ratings", 4);
    agent.loseAnswers = 1;
    await pusher.push();
    expect(pusher.status).toMatchObject({ failures: 1, lastError: "socket hang up", pushedRequests: 0 });

    // Requests during the outage stay in the proxy; the retry is the same batch, byte for byte.
    proxy.record("ratings", 2);
    await pusher.push();
    const telemetry = agent.received.filter((r) => r.path === "/v1/telemetry");
    expect(telemetry.map((r) => r.body.batch.seq)).toEqual([1, 1, 2]);
    expect(telemetry[1]!.body).toEqual(telemetry[0]!.body);
    expect(telemetry[2]!.body.edges).toEqual([expect.objectContaining({ count: 2 })]);
    expect(agent.totals.get("ratings")).toBe(6);
    expect(pusher.status).toMatchObject({ duplicates: 1, pushedRequests: 2, lastError: null });
  });

  it("keeps the batch while the agent is unreachable, then delivers it", async () => {
    const proxy = new FakeProxy();
    const agent = fakeAgent();
    const pusher = new TelemetryPusher(proxy, agent.post, { namespace: "shop", name: "reviews-1" });
    agent.down = true;
    proxy.record("details", 3);
    proxy.finished.push(span(1), span(2));
    await pusher.push();
    await pusher.push();
    proxy.record("details", 1);
    agent.down = false;
    await pusher.push();
    expect(agent.totals.get("details")).toBe(4);
    const spans = agent.received.filter((r) => r.path === "/v1/spans");
    expect(spans.flatMap((r) => r.body.spans!.map((s) => s.seq))).toEqual([1, 2]);
    // The cursor moved: nothing is sent again.
    await pusher.push();
    expect(agent.received.filter((r) => r.path === "/v1/spans")).toHaveLength(1);
    expect(pusher.status).toMatchObject({ pushedRequests: 4, pushedSpans: 2 });
  });

  it("drops a batch the agent refuses as malformed (never retried forever) and counts it", async () => {
    const proxy = new FakeProxy();
    const agent = fakeAgent();
    const pusher = new TelemetryPusher(proxy, agent.post, { namespace: "shop", name: "reviews-1" });
    proxy.record("ratings", 1);
    agent.refuse = 1;
    await pusher.push();
    proxy.record("ratings", 5);
    await pusher.push();
    expect(agent.totals.get("ratings")).toBe(5);
    expect(pusher.status.refusedBatches).toBe(1);
  });
});
