// What the manager asks of this agent besides config (agent.pending, polled
// every second): questions about its proxies (weft proxy-status, weft
// proxy-config) and open taps (weft tap), whose matching request summaries
// it reads from its proxies' GET /tap every fraction of a second while one
// is open, and reports.
import { redactSecrets, type AgentPending, type AgentQuery, type ProxyStatus, type QueryAnswer, type TapEvent, type TapFilter, type TapReport } from "@weft/mesh-model";
import type { Logger } from "../logger.ts";

/** A local proxy as the requests need it. */
export interface LocalProxyView {
  id: string;
  adminPort: number;
  namespace: string;
  status: ProxyStatus;
}

export interface AgentRequestsOptions {
  manager: { pending(): Promise<AgentPending>; answer(answer: QueryAnswer): Promise<unknown>; reportTap(report: TapReport): Promise<unknown> };
  proxies: () => LocalProxyView[];
  admin: { tap(adminPort: number, after: number): Promise<{ seq: number; events: Omit<TapEvent, "proxy">[] }>; config(adminPort: number): Promise<unknown> };
  logger: Logger;
  pollMs?: number;
  tapPollMs?: number;
}

/**
 * Whether a proxy's request summary belongs to a tap: requests to the
 * service, as its callers' proxies (outbound) or its own (inbound, whose
 * namespace is the proxy's) saw them, narrowed by path prefix and method.
 */
export function tapMatches(filter: TapFilter, event: Omit<TapEvent, "proxy">, proxyNamespace: string): boolean {
  if (event.destinationService !== filter.service) return false;
  // An outbound summary names the service, not its namespace: callers in other namespaces match by name.
  if (event.direction === "inbound" && proxyNamespace !== filter.namespace) return false;
  if (filter.path !== null && !event.path.startsWith(filter.path)) return false;
  return filter.method === null || event.method.toUpperCase() === filter.method.toUpperCase();
}

export class AgentRequests {
  #stopped = false;
  #taps: TapFilter[] = [];
  #reported = new Set<string>();
  #cursors = new Map<string, number>();
  #pollTimer: NodeJS.Timeout | undefined;
  #tapTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AgentRequestsOptions) {}

  start(): void {
    void this.#poll();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#tapTimer);
  }

  async #poll(): Promise<void> {
    try {
      const pending = await this.options.manager.pending();
      await Promise.all(pending.queries.map((q) => this.#answer(q)));
      this.#setTaps(pending.taps);
    } catch (err) {
      this.options.logger.debug("agent.pending failed; retrying", { error: (err as Error).message });
    }
    if (!this.#stopped) this.#pollTimer = setTimeout(() => void this.#poll(), this.options.pollMs ?? 1000);
  }

  async #answer(query: AgentQuery): Promise<void> {
    let answer: QueryAnswer;
    if (query.kind === "proxy-status") answer = { id: query.id, statuses: this.options.proxies().map((p) => p.status) };
    else {
      const proxy = this.options.proxies().find((p) => p.id === query.proxy);
      if (!proxy) answer = { id: query.id, error: `unknown proxy ${query.proxy ?? ""}: this cluster runs ${this.options.proxies().map((p) => p.id).join(", ") || "no proxies"}` };
      else {
        answer = await this.options.admin.config(proxy.adminPort).then(
          (config) => ({ id: query.id, config: redactSecrets(config) }),
          (err: Error) => ({ id: query.id, error: `proxy ${proxy.id} did not answer: ${err.message}` }),
        );
      }
    }
    await this.options.manager.answer(answer).catch((err: Error) => this.options.logger.warn("could not answer the manager's query", { kind: query.kind, error: err.message }));
  }

  #setTaps(taps: TapFilter[]): void {
    const opened = this.#taps.length === 0 && taps.length > 0;
    this.#taps = taps;
    if (taps.length === 0) {
      this.#reported.clear();
      this.#cursors.clear();
      clearTimeout(this.#tapTimer);
      this.#tapTimer = undefined;
    } else if (opened) void this.#relay();
  }

  /** One round: read every proxy's new summaries, report the matching ones (and newly relayed taps). */
  async #relay(): Promise<void> {
    const taps = this.#taps;
    if (this.#stopped || taps.length === 0) return;
    const events: TapReport["events"] = [];
    await Promise.all(
      this.options.proxies().map(async (proxy) => {
        try {
          const cursor = this.#cursors.get(proxy.id);
          const page = await this.options.admin.tap(proxy.adminPort, cursor ?? 0);
          // A restarted proxy counts from 1 again.
          this.#cursors.set(proxy.id, page.seq);
          // The first read only finds the cursor: what the ring held before this tap is not part of it.
          if (cursor === undefined) return;
          for (const event of page.events) {
            const { seq: _seq, ...summary } = event as typeof event & { seq?: number };
            for (const tap of taps) if (tapMatches(tap, summary, proxy.namespace)) events.push({ tap: tap.id, event: { proxy: proxy.id, ...summary } });
          }
        } catch {
          this.#cursors.delete(proxy.id);
        }
      }),
    );
    const attached = taps.map((t) => t.id);
    if (events.length > 0 || attached.some((id) => !this.#reported.has(id))) {
      await this.options.manager.reportTap({ attached, events: events.slice(0, 1000) }).then(
        () => attached.forEach((id) => this.#reported.add(id)),
        (err: Error) => this.options.logger.warn("could not report tapped requests", { error: err.message }),
      );
    }
    if (!this.#stopped && this.#taps.length > 0) this.#tapTimer = setTimeout(() => void this.#relay(), this.options.tapPollMs ?? 200);
  }
}
