// The shipper's delivery contract with the manager: a report whose answer was
// lost is resent unchanged (same seq, same edges), so the manager's seq check
// can count it once; what the proxies report meanwhile goes into the next one.
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import type { EdgeDelta } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { MemoryLogger } from "../logger.ts";
import type { ProxyAdminClient, ProxyEdgeReport } from "../supervision/proxy-admin-client.ts";
import { TelemetryShipper, type PendingTelemetry } from "./telemetry-shipper.ts";

function edge(count: number): ProxyEdgeReport {
  const sketch = new LatencySketch();
  for (let i = 0; i < count; i++) sketch.add(0.005);
  return {
    labels: { source_service: "web", source_cluster: "east", source_version: "v1", destination_service: "api", destination_cluster: "east", destination_version: "v1", response_code: "200" },
    count,
    sketch: sketch.toJSON(),
  };
}

describe("telemetry shipping", () => {
  it("resends a report whose answer was lost with the same seq, and ships newer counts separately", async () => {
    const pending: ProxyEdgeReport[][] = [[edge(5)], [edge(3)], [edge(2)]];
    const admin = { telemetry: async () => ({ edges: pending.shift() ?? [] }) } as unknown as ProxyAdminClient;
    const sent: { seq: number; requests: number }[] = [];
    let loseNextAnswer = true;
    const shipper = new TelemetryShipper({
      cluster: "east",
      admin,
      sources: () => [{ id: "shop/web-1", adminPort: 1, service: "web", namespace: "shop", version: "v1" }],
      namespaceOf: () => "shop",
      logger: new MemoryLogger(),
      intervalMs: 60_000,
      send: async (edges: EdgeDelta[], seq: number) => {
        sent.push({ seq, requests: edges.reduce((n, e) => n + e.requests, 0) });
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new Error("socket hang up"); // the manager stored it, the answer never arrived
        }
      },
    });
    await shipper.tick();
    await shipper.tick();
    await shipper.tick();
    expect(sent).toHaveLength(4);
    const [first, retry, second, third] = sent as [(typeof sent)[number], (typeof sent)[number], (typeof sent)[number], (typeof sent)[number]];
    expect(retry).toEqual(first);
    expect(first.requests).toBe(5);
    expect(second.requests).toBe(3);
    expect(third.requests).toBe(2);
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(third.seq).toBeGreaterThan(second.seq);
    expect(shipper.status).toMatchObject({ shippedRequests: 10, bufferedEdges: 0, droppedRequests: 0 });
  });

  it("numbers reports above those of an earlier run, so a restarted agent is not taken for a retry", async () => {
    const seqs: number[] = [];
    const make = () =>
      new TelemetryShipper({
        cluster: "east",
        admin: { telemetry: async () => ({ edges: [edge(1)] }) } as unknown as ProxyAdminClient,
        sources: () => [{ id: "shop/web-1", adminPort: 1, service: "web", namespace: "shop" }],
        namespaceOf: () => "shop",
        logger: new MemoryLogger(),
        intervalMs: 60_000,
        send: async (_edges, seq) => void seqs.push(seq),
      });
    await make().tick();
    await new Promise((r) => setTimeout(r, 2));
    await make().tick();
    expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
  });
  it("numbers reports above the last run's even when restarted with its clock two minutes behind (the number it recorded wins)", async () => {
    const seqs: number[] = [];
    let recorded: number | undefined;
    const store = { get last() { return recorded; }, save: async (seq: number) => void (recorded = seq) };
    const make = (now: number) =>
      new TelemetryShipper({
        cluster: "east",
        admin: { telemetry: async () => ({ edges: [edge(1)] }) } as unknown as ProxyAdminClient,
        sources: () => [{ id: "shop/web-1", adminPort: 1, service: "web", namespace: "shop" }],
        namespaceOf: () => "shop",
        logger: new MemoryLogger(),
        intervalMs: 60_000,
        now: () => now,
        send: async (_edges, seq) => void seqs.push(seq),
        seqStore: { last: store.last, save: store.save },
      });
    const t = Date.now();
    const first = make(t);
    await first.tick();
    await first.tick();
    // The next run's clock is 2 minutes behind the first's (skew, or a step back): its numbers still climb.
    const restarted = make(t - 120_000);
    await restarted.tick();
    expect(recorded).toBe(seqs.at(-1));
    expect(seqs).toHaveLength(3);
    expect(seqs[2]).toBeGreaterThan(seqs[1] as number);
    expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
  });

  describe("across a crash of the agent (the pending telemetry in its state folder)", () => {
    /** A manager that applies a report only when its seq is above the last one applied, as the real one does per cluster. */
    const fakeManager = () => {
      const m = { applied: 0, lastSeq: 0, reports: 0, down: false, loseAnswers: false };
      const send = async (edges: EdgeDelta[], seq: number) => {
        if (m.down) throw new Error("fetch failed");
        m.reports++;
        if (seq > m.lastSeq) {
          m.lastSeq = seq;
          m.applied += edges.reduce((n, e) => n + e.requests, 0);
        }
        if (m.loseAnswers) throw new Error("socket hang up");
      };
      return { m, send };
    };
    /** One run of the agent: its shipper over a proxy reporting `counts` one collection after another, and the state folder's two files. */
    const run = (state: { seq?: number; pending?: PendingTelemetry }, counts: number[], send: (edges: EdgeDelta[], seq: number) => Promise<void>) =>
      runWith(state, { telemetry: async () => ({ edges: [edge(counts.shift() ?? 0)].filter((e) => e.count > 0) }) } as unknown as ProxyAdminClient, send);
    const runWith = (state: { seq?: number; pending?: PendingTelemetry }, admin: ProxyAdminClient, send: (edges: EdgeDelta[], seq: number) => Promise<void>, log: string[] = [], failSave = false) =>
      new TelemetryShipper({
        cluster: "east",
        admin,
        sources: () => [{ id: "shop/web-1", adminPort: 1, service: "web", namespace: "shop", version: "v1" }],
        namespaceOf: () => "shop",
        logger: new MemoryLogger(),
        intervalMs: 60_000,
        send,
        seqStore: { last: state.seq, save: async (seq) => void (state.seq = seq) },
        // Through JSON, as the file is.
        pendingStore: {
          last: state.pending && (JSON.parse(JSON.stringify(state.pending)) as PendingTelemetry),
          save: async (pending) => {
            if (failSave) throw new Error("ENOSPC: no space left on device");
            state.pending = JSON.parse(JSON.stringify(pending)) as PendingTelemetry;
            log.push(`save ${[...pending.buffered, ...(pending.inFlight?.edges ?? [])].reduce((n, e) => n + e.requests, 0)}`);
          },
        },
      });
    /**
     * A proxy with acknowledged collection, as packages/proxy's: GET /telemetry
     * cuts a batch from the requests since the last one and serves it again
     * (same id) until POST /telemetry/ack names it; `ackLost` drops acks on the
     * way (an agent killed after recording the batch and before acknowledging it).
     */
    const ackingProxy = (log: string[]) => {
      const p = { requests: 0, pending: undefined as { batch: string; count: number } | undefined, n: 0, ackLost: false };
      const admin = {
        telemetry: async () => {
          if (!p.pending) {
            p.pending = { batch: `0123456789abcdef:${++p.n}`, count: p.requests };
            p.requests = 0;
          }
          log.push(`get ${p.pending.batch}`);
          return { batch: p.pending.batch, edges: [edge(p.pending.count)].filter((e) => e.count > 0) };
        },
        ackTelemetry: async (_port: number, batch: string) => {
          if (p.ackLost) throw new Error("connect ECONNREFUSED");
          log.push(`ack ${batch}`);
          if (p.pending?.batch === batch) p.pending = undefined;
        },
      } as unknown as ProxyAdminClient;
      return { p, admin };
    };

    it("records a collected batch in the state folder before acknowledging it to the proxy", async () => {
      const { send } = fakeManager();
      const log: string[] = [];
      const { p, admin } = ackingProxy(log);
      p.requests = 5;
      await runWith({}, admin, send, log).collect();
      expect(log).toEqual(["get 0123456789abcdef:1", "save 5", "ack 0123456789abcdef:1"]);
      expect(p.pending).toBeUndefined();
    });

    it("does not acknowledge a batch it could not record, so the proxy keeps it", async () => {
      const { m, send } = fakeManager();
      const log: string[] = [];
      const { p, admin } = ackingProxy(log);
      p.requests = 5;
      const state = {};
      await runWith(state, admin, send, log, true).collect();
      expect(log).toEqual(["get 0123456789abcdef:1"]);
      expect(p.pending).toEqual({ batch: "0123456789abcdef:1", count: 5 });
      // Killed with it in memory only: the next run gets the same batch and ships it.
      await runWith(state, admin, send, log).tick();
      expect(m.applied).toBe(5);
      expect(p.pending).toBeUndefined();
    });

    it("counts once a batch the killed run had recorded and not acknowledged, and the traffic after it", async () => {
      const { m, send } = fakeManager();
      const log: string[] = [];
      const { p, admin } = ackingProxy(log);
      const state: { seq?: number; pending?: PendingTelemetry } = {};
      m.down = true;
      p.requests = 5;
      p.ackLost = true;
      await runWith(state, admin, send, log).tick();
      expect(state.pending?.batches).toEqual({ "shop/web-1": "0123456789abcdef:1" });
      // Killed between recording the batch and its ack: the proxy still holds it, and counts 3 more requests into the next.
      p.ackLost = false;
      m.down = false;
      p.requests = 3;
      const next = runWith(state, admin, send, log);
      await next.tick();
      expect(m.applied).toBe(5);
      expect(p.pending).toBeUndefined();
      await next.tick();
      expect(m.applied).toBe(8);
      expect(next.status).toMatchObject({ shippedRequests: 8, bufferedEdges: 0, droppedRequests: 0 });
      expect(log.filter((l) => l.startsWith("get") || l.startsWith("ack"))).toEqual(["get 0123456789abcdef:1", "get 0123456789abcdef:1", "ack 0123456789abcdef:1", "get 0123456789abcdef:2", "ack 0123456789abcdef:2"]);
    });

    it("ships what a killed run had collected while the manager was away", async () => {
      const { m, send } = fakeManager();
      const state = {};
      m.down = true;
      const first = run(state, [5, 7], send);
      await first.tick();
      await first.tick();
      // Killed here (nothing more of `first` runs); the manager comes back; the next run starts from the state folder.
      m.down = false;
      await run(state, [3], send).tick();
      expect(m.applied).toBe(15);
    });

    it("counts once a report the killed run had sent but not heard back about", async () => {
      const { m, send } = fakeManager();
      const state = {};
      m.loseAnswers = true;
      await run(state, [5], send).tick();
      expect(m.applied).toBe(5);
      // Killed with that report in flight: the next run resends it under its number (a duplicate), then ships its own.
      m.loseAnswers = false;
      const next = run(state, [2], send);
      await next.tick();
      expect(m.applied).toBe(7);
      expect(m.reports).toBe(3);
      expect(next.status).toMatchObject({ shippedRequests: 7, bufferedEdges: 0 });
    });

    it("ships a collection once when the run is killed after collecting and before shipping", async () => {
      const { m, send } = fakeManager();
      const state = {};
      await run(state, [4], send).collect();
      await run(state, [1], send).tick();
      expect(m.applied).toBe(5);
    });
  });
});
