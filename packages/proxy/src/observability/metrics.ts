// A small Prometheus registry (text exposition format 0.0.4). The metric
// names below are a stable interface: the agent scrapes them and the
// dashboard's rollups depend on them. See packages/proxy/README.md.

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatNumber(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

export interface Family {
  render(): string;
}

export class Counter implements Family {
  private readonly series = new Map<string, { values: string[]; value: number }>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  inc(labels: Labels = {}, by = 1): void {
    const values = this.labelNames.map((n) => labels[n] ?? "");
    const key = JSON.stringify(values);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { values, value: by });
  }

  /** Current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.series.get(JSON.stringify(this.labelNames.map((n) => labels[n] ?? "")))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.series.values()) lines.push(`${this.name}${renderLabels(this.labelNames, s.values)} ${formatNumber(s.value)}`);
    return lines.join("\n");
  }
}

export class Gauge implements Family {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly collect: () => { labels: Labels; value: number }[],
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.collect()) {
      lines.push(`${this.name}${renderLabels(this.labelNames, this.labelNames.map((n) => labels[n] ?? ""))} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

export class Histogram implements Family {
  private readonly series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const values = this.labelNames.map((n) => labels[n] ?? "");
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s) {
      s = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const i = this.buckets.findIndex((b) => value <= b);
    if (i !== -1) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i] ?? 0;
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, `le="${formatNumber(b)}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, 'le="+Inf"')} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, s.values)} ${formatNumber(s.sum)}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, s.values)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

/** Latency buckets in seconds: 1 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The proxy's metric families (the per-edge ones live in EdgeTelemetry). */
export class ProxyMetrics {
  private readonly families: Family[] = [];

  /** weft_upstream_retries_total: retries sent per destination. */
  readonly retries = this.add(new Counter("weft_upstream_retries_total", "Retries sent upstream.", ["destination_service"]));
  /** weft_upstream_refused_streams_total: HTTP/2 streams an upstream refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id). */
  readonly refusedStreams = this.add(
    new Counter(
      "weft_upstream_refused_streams_total",
      "HTTP/2 streams the upstream refused without processing them (REFUSED_STREAM, or above a GOAWAY's last stream id); retried when the rule's retryOn allows.",
      ["destination_service"],
    ),
  );
  /** weft_retry_budget_exhausted_total: retries refused by the retry budget. */
  readonly budgetExhausted = this.add(
    new Counter("weft_retry_budget_exhausted_total", "Retries not sent because the retry budget was spent.", ["destination_service"]),
  );
  /** weft_downstream_protocol_errors_total: malformed or oversized requests answered 4xx. */
  readonly protocolErrors = this.add(
    new Counter("weft_downstream_protocol_errors_total", "Malformed or oversized downstream requests.", ["listener", "response_code"]),
  );
  /** weft_config_reloads_total: config applications by result (applied, rejected). */
  readonly reloads = this.add(new Counter("weft_config_reloads_total", "Config applications by result.", ["result"]));
  /** weft_tcp_connections_total: TCP passthrough connections by listener, destination and response flags. */
  readonly tcpConnections = this.add(
    new Counter("weft_tcp_connections_total", "TCP passthrough connections, by listener, destination service and response flags.", ["listener", "destination_service", "response_flags"]),
  );
  /** weft_tcp_bytes_total: bytes piped by TCP passthrough, by direction (`received` from the client, `sent` to it). */
  readonly tcpBytes = this.add(new Counter("weft_tcp_bytes_total", "Bytes piped by TCP passthrough.", ["listener", "direction"]));
  /** weft_gateway_connections_refused_total: east-west gateway connections closed before routing (malformed, no_sni, unknown_sni, timeout, closed). */
  readonly gatewayRefused = this.add(
    new Counter(
      "weft_gateway_connections_refused_total",
      "East-west gateway connections closed without being routed, by listener and reason (malformed ClientHello, no_sni, unknown_sni, timeout, closed before the ClientHello was complete).",
      ["listener", "reason"],
    ),
  );
  /** weft_upgrades_total: HTTP Upgrade (WebSocket) tunnels by destination and result code. */
  readonly upgrades = this.add(new Counter("weft_upgrades_total", "HTTP Upgrade (WebSocket) requests, by destination service and response code.", ["destination_service", "response_code"]));

  /** weft_authz_decisions_total: authorization decisions on inbound requests by policy (`-`: the default) and decision (allowed, denied, audited). */
  readonly authzDecisions = this.add(
    new Counter("weft_authz_decisions_total", "Authorization decisions, by listener, policy (namespace/name, - for the default) and decision (allowed, denied, audited).", ["listener", "policy", "decision"]),
  );
  /** weft_jwt_authentications_total: JWT checks by listener, issuer and result (valid, invalid, missing). */
  readonly jwtAuthentications = this.add(
    new Counter("weft_jwt_authentications_total", "JWT request authentication, by listener, issuer and result (valid, invalid, missing).", ["listener", "issuer", "result"]),
  );
  /** weft_mtls_connections_refused_total: inbound connections refused by mTLS, by reason (plaintext, handshake, or an X.509-SVID failure code). */
  readonly mtlsRefused = this.add(
    new Counter("weft_mtls_connections_refused_total", "Inbound connections refused by mTLS, by listener and reason (plaintext, handshake, or an SVID failure code such as uri-san-count).", ["listener", "reason"]),
  );

  /** weft_circuit_breaker_overflow_total: requests refused (503 UO) or retries not sent, by the limit that was reached (requests, pending, retries). */
  readonly breakerOverflow = this.add(
    new Counter("weft_circuit_breaker_overflow_total", "Circuit-breaker overflows, by destination service and limit (requests, pending: answered 503 UO; retries: not retried).", ["destination_service", "limit"]),
  );
  /** weft_outlier_ejections_total: endpoints ejected by outlier detection, by reason. */
  readonly outlierEjections = this.add(
    new Counter("weft_outlier_ejections_total", "Endpoints ejected by outlier detection, by destination service and reason (consecutive_5xx, consecutive_gateway_errors, success_rate).", ["destination_service", "reason"]),
  );
  /** weft_outlier_returns_total: ejected endpoints brought back after their ejection time. */
  readonly outlierReturns = this.add(new Counter("weft_outlier_returns_total", "Ejected endpoints returned to load balancing.", ["destination_service"]));
  /** weft_health_checks_total: active health checks run, by result (success, failure). */
  readonly healthChecks = this.add(new Counter("weft_health_checks_total", "Active health checks, by destination service and result (success, failure).", ["destination_service", "result"]));
  /** weft_health_check_transitions_total: endpoints marked unhealthy or healthy by active checks. */
  readonly healthTransitions = this.add(
    new Counter("weft_health_check_transitions_total", "Endpoints taken out (unhealthy) or put back (healthy) by active health checks.", ["destination_service", "to"]),
  );
  /** weft_faults_injected_total: injected delays and aborts. */
  readonly faults = this.add(new Counter("weft_faults_injected_total", "Faults injected by route rules, by destination service and kind (delay, abort).", ["destination_service", "kind"]));
  /** weft_mirror_requests_total: mirrored copies by shadow service and result. */
  readonly mirrors = this.add(
    new Counter(
      "weft_mirror_requests_total",
      "Mirrored request copies, by shadow service and result (completed: the shadow answered; failed; dropped: over maxInFlight; too_large: body above the buffer limit).",
      ["destination_service", "result"],
    ),
  );
  /** weft_rate_limited_total: requests answered 429 (decision over_limit) or hit by a Redis failure (redis_error_allowed, redis_error_denied). */
  readonly rateLimited = this.add(
    new Counter("weft_rate_limited_total", "Rate-limit decisions other than a plain allow, by listener, limit and decision (over_limit, redis_error_allowed, redis_error_denied).", ["listener", "limit", "decision"]),
  );

  add<F extends Family>(family: F): F {
    this.families.push(family);
    return family;
  }

  render(): string {
    return `${this.families.map((f) => f.render()).join("\n")}\n`;
  }
}
