// The manager's own Prometheus metrics (GET /metrics): how the control plane
// is doing, as istiod's pilot_* metrics tell it — config versions, pushes and
// their latency, write-to-acknowledgement latency, connected agents and their
// proxies, rejections, controller leadership and telemetry ingest. One registry per manager (not prom-client's global one),
// so several managers in one process (tests) keep their own counts.
import type { DatabasePool } from "@weft/db";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: from a millisecond loop turn to the minutes an agent may spend catching up. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds a query waits for a pooled connection: from a free one at once to the pool's 5 s connection timeout. */
const POOL_WAIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the metrics read when they are scraped (nothing is polled in between). */
export interface ControlPlaneGauges {
  /** The mesh's versions as this replica last saw them. */
  versions(): Promise<{ configVersion: bigint; catalogVersion: bigint; trustBundleVersion: bigint }>;
  /** Config streams open on this replica, per cluster. */
  openStreams(): ReadonlyMap<string, number>;
  /** The database connection pool (its counts are read at scrape time; each checkout's wait is observed as it happens). */
  pool?: DatabasePool;
}

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly #pushes: Counter<"cluster">;
  readonly #pushSeconds: Histogram;
  readonly #ackSeconds: Histogram;
  readonly #acks: Counter<"outcome">;
  readonly #rejectedProxies: Counter;
  readonly #proxies: Gauge<"cluster" | "state">;
  readonly #leader: Gauge<"controller">;
  readonly #ticks: Counter<"controller" | "outcome">;
  readonly #tickSeconds: Histogram<"controller">;
  readonly #telemetryEdges: Counter;
  readonly #telemetryReports: Counter<"outcome">;
  /** Per cluster, the newest version whose acknowledgement was timed here (a re-sent ack is not timed twice). */
  readonly #timedAcks = new Map<string, bigint>();

  constructor(gauges: ControlPlaneGauges) {
    const registers = [this.registry];
    new Gauge({
      name: "weft_manager_mesh_version",
      help: "The mesh's versions as this replica last saw them: kind=config (resources), catalog (federated services), trust (trust bundle).",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const v = await gauges.versions();
        this.set({ kind: "config" }, Number(v.configVersion));
        this.set({ kind: "catalog" }, Number(v.catalogVersion));
        this.set({ kind: "trust" }, Number(v.trustBundleVersion));
      },
    });
    new Gauge({
      name: "weft_manager_connected_agents",
      help: "Clusters whose agent holds a config stream on this replica.",
      registers,
      collect() {
        this.set(gauges.openStreams().size);
      },
    });
    new Gauge({
      name: "weft_manager_config_streams",
      help: "Config streams open on this replica (an agent reconnecting may briefly hold two).",
      registers,
      collect() {
        let n = 0;
        for (const count of gauges.openStreams().values()) n += count;
        this.set(n);
      },
    });
    const pool = gauges.pool;
    if (pool) {
      new Gauge({
        name: "weft_manager_db_pool_connections",
        help: "Database connections in this replica's pool: state=in_use (held by a query or transaction), idle (open and free).",
        labelNames: ["state"] as const,
        registers,
        collect() {
          const s = pool.stats();
          this.set({ state: "in_use" }, s.inUse);
          this.set({ state: "idle" }, s.idle);
        },
      });
      new Gauge({
        name: "weft_manager_db_pool_waiting",
        help: "Queries and transactions queued for a database connection (the pool is at its size).",
        registers,
        collect() {
          this.set(pool.stats().waiting);
        },
      });
      new Gauge({
        name: "weft_manager_db_pool_max_connections",
        help: "The database pool's size (10 on DATABASE_URL, 1 on the embedded database).",
        registers,
        collect() {
          this.set(pool.stats().max);
        },
      });
      const waits = new Histogram({
        name: "weft_manager_db_pool_wait_seconds",
        help: "How long each query or transaction waited for a database connection from the pool (a new connection's set-up included).",
        buckets: POOL_WAIT_BUCKETS,
        registers,
      });
      pool.onAcquire((seconds) => waits.observe(seconds));
    }
    this.#pushes = new Counter({ name: "weft_manager_config_pushes_total", help: "Cluster configs sent on config streams (a new snapshot, or the first one of a stream).", labelNames: ["cluster"] as const, registers });
    this.#pushSeconds = new Histogram({
      name: "weft_manager_config_push_seconds",
      help: "From this replica noticing a new version to the cluster's snapshot being handed to its stream (build included).",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#ackSeconds = new Histogram({
      name: "weft_manager_config_write_to_ack_seconds",
      help: "From the change that produced a config version (its revision's commit) to an agent acknowledging it applied on all its proxies.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#acks = new Counter({ name: "weft_manager_config_acks_total", help: "Agents' acknowledgements by outcome (applied, rejected).", labelNames: ["outcome"] as const, registers });
    this.#rejectedProxies = new Counter({ name: "weft_manager_config_rejected_proxies_total", help: "Proxies reported as refusing a config version, summed over acknowledgements.", registers });
    this.#proxies = new Gauge({
      name: "weft_manager_proxies",
      help: "Proxies per cluster and state (applied, rejected) in each agent's latest acknowledgement received by this replica.",
      labelNames: ["cluster", "state"] as const,
      registers,
    });
    this.#leader = new Gauge({ name: "weft_manager_controller_leader", help: "1 while this replica led the controller's latest tick, 0 while another replica did.", labelNames: ["controller"] as const, registers });
    this.#ticks = new Counter({ name: "weft_manager_controller_ticks_total", help: "Controller ticks on this replica: led (ran the step), standby (another replica held the lock), failed.", labelNames: ["controller", "outcome"] as const, registers });
    this.#tickSeconds = new Histogram({ name: "weft_manager_controller_tick_seconds", help: "Duration of the controller steps this replica led.", labelNames: ["controller"] as const, buckets: LATENCY_BUCKETS, registers });
    this.#telemetryEdges = new Counter({ name: "weft_manager_telemetry_edges_total", help: "Edge-minute deltas received from agents (before merging into the rollups).", registers });
    this.#telemetryReports = new Counter({ name: "weft_manager_telemetry_reports_total", help: "Telemetry reports from agents: stored, duplicate (a retried batch, counted once), failed.", labelNames: ["outcome"] as const, registers });
  }

  /** A snapshot sent on a stream, `seconds` after this replica saw the version change. */
  pushed(cluster: string, seconds: number): void {
    this.#pushes.inc({ cluster });
    this.#pushSeconds.observe(seconds);
  }

  /** An agent's acknowledgement; `writtenAt` is when its version's change was committed (null when unknown). */
  acknowledged(cluster: string, ack: { version: bigint; applied: boolean; proxies: { applied: number; rejected: number } }, writtenAt: Date | null, now = new Date()): void {
    this.#acks.inc({ outcome: ack.applied ? "applied" : "rejected" });
    this.#rejectedProxies.inc(ack.proxies.rejected);
    this.#proxies.set({ cluster, state: "applied" }, ack.proxies.applied);
    this.#proxies.set({ cluster, state: "rejected" }, ack.proxies.rejected);
    if (!ack.applied || !writtenAt || (this.#timedAcks.get(cluster) ?? -1n) >= ack.version) return;
    this.#timedAcks.set(cluster, ack.version);
    this.#ackSeconds.observe(Math.max(0, (now.getTime() - writtenAt.getTime()) / 1000));
  }

  /** One tick of a leader-elected controller on this replica. */
  controllerTicked(controller: string, outcome: "led" | "standby" | "failed", seconds: number): void {
    this.#ticks.inc({ controller, outcome });
    if (outcome === "failed") return;
    this.#leader.set({ controller }, outcome === "led" ? 1 : 0);
    if (outcome === "led") this.#tickSeconds.observe({ controller }, seconds);
  }

  /** A telemetry report from an agent. */
  telemetryReported(edges: number, outcome: "stored" | "duplicate" | "failed"): void {
    this.#telemetryReports.inc({ outcome });
    if (outcome !== "failed") this.#telemetryEdges.inc(edges);
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
