// The agent's Prometheus metrics (GET /metrics on its admin port): the
// config version it serves and where from, the manager stream, per-proxy
// compile and push times, rejections, proxies by state, and telemetry
// shipping. Timings are observed as they happen; the rest is read from the
// agent's status when scraped. One registry per agent (tests run several).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SOURCES = ["none", "local-only", "cache", "manager"] as const;

/** What a scrape reads from the running agent. */
export interface AgentGauges {
  /** The manager's cluster config version being served, and where it came from. */
  config(): { configVersion?: string | undefined; servingFrom: (typeof SOURCES)[number] } | undefined;
  /** Whether the config stream to the manager is connected (undefined without a manager link). */
  streamConnected(): boolean | undefined;
  /** Config applier counters (compiles, skips, pushes, rejections). */
  apply(): { compiles: number; compileSkips: number; pushes: number; pushSkips: number; rejections: number } | undefined;
  /** Local proxies by supervisor state (running, backoff, ...). */
  proxies(): { state: string }[];
  /** Telemetry shipping totals. */
  telemetry(): { shippedRequests: number; droppedRequests: number; bufferedEdges: number } | undefined;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #compileSeconds: Histogram;
  readonly #pushSeconds: Histogram<"outcome">;

  constructor(gauges: AgentGauges) {
    const registers = [this.registry];
    new Gauge({
      name: "weft_agent_config_version",
      help: "The manager's cluster config version this agent serves (0 before it has one).",
      registers,
      collect() {
        this.set(Number(gauges.config()?.configVersion ?? 0));
      },
    });
    new Gauge({
      name: "weft_agent_config_source",
      help: "Where the served config comes from: 1 for the current source (manager, cache, local-only, none), 0 for the others.",
      labelNames: ["source"] as const,
      registers,
      collect() {
        const current = gauges.config()?.servingFrom ?? "none";
        for (const source of SOURCES) this.set({ source }, source === current ? 1 : 0);
      },
    });
    new Gauge({
      name: "weft_agent_manager_connected",
      help: "1 while the config stream to the manager is connected.",
      registers,
      collect() {
        this.set(gauges.streamConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: "weft_agent_proxies",
      help: "Local proxies by supervisor state.",
      labelNames: ["state"] as const,
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const p of gauges.proxies()) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    const applyCounter = (name: string, help: string, pick: (a: NonNullable<ReturnType<AgentGauges["apply"]>>) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const a = gauges.apply();
          if (a) {
            this.reset();
            this.inc(pick(a));
          }
        },
      });
    applyCounter("weft_agent_proxy_compiles_total", "Proxy configs compiled (an unchanged input is skipped, see weft_agent_proxy_compile_skips_total).", (a) => a.compiles);
    applyCounter("weft_agent_proxy_compile_skips_total", "Proxy compiles skipped because the proxy's input hash was unchanged.", (a) => a.compileSkips);
    applyCounter("weft_agent_proxy_pushes_total", "Configs pushed to proxies (PUT /config).", (a) => a.pushes);
    applyCounter("weft_agent_proxy_push_skips_total", "Pushes skipped because the proxy already ran the compiled version.", (a) => a.pushSkips);
    applyCounter("weft_agent_config_rejections_total", "Proxy configs that could not be compiled or that a proxy refused.", (a) => a.rejections);
    const telemetryCounter = (name: string, help: string, pick: (t: NonNullable<ReturnType<AgentGauges["telemetry"]>>) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const t = gauges.telemetry();
          if (t) {
            this.reset();
            this.inc(pick(t));
          }
        },
      });
    telemetryCounter("weft_agent_telemetry_shipped_requests_total", "Requests counted by the proxies and acknowledged by the manager's rollups.", (t) => t.shippedRequests);
    telemetryCounter("weft_agent_telemetry_dropped_requests_total", "Requests whose telemetry was dropped (buffer full while the manager was away).", (t) => t.droppedRequests);
    new Gauge({
      name: "weft_agent_telemetry_buffered_edges",
      help: "Edge-minutes waiting to be shipped to the manager.",
      registers,
      collect() {
        this.set(gauges.telemetry()?.bufferedEdges ?? 0);
      },
    });
    this.#compileSeconds = new Histogram({ name: "weft_agent_proxy_compile_seconds", help: "Time to compile one proxy's config.", buckets: SECONDS, registers });
    this.#pushSeconds = new Histogram({
      name: "weft_agent_proxy_push_seconds",
      help: "Time from pushing a config to a proxy (or starting it on one) to the proxy running it or refusing it.",
      labelNames: ["outcome"] as const,
      buckets: SECONDS,
      registers,
    });
  }

  compiled(seconds: number): void {
    this.#compileSeconds.observe(seconds);
  }

  pushed(seconds: number, outcome: "applied" | "rejected"): void {
    this.#pushSeconds.observe({ outcome }, seconds);
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
