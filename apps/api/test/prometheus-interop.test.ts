// Prometheus and Alertmanager interop with the real things (Debian's
// prometheus scraping real weft-proxy processes, prometheus-alertmanager
// configured with Weft's receiver): the PromQL metric source reads what the
// proxies served, close to what Weft's own rollups say; the rules Weft
// exports for an SLO pass `promtool check rules` and their recorded error
// ratio matches Weft's SLI within the stated tolerance; the alert they fire
// goes through Alertmanager into Weft and opens a ticket tied to the SLO,
// and its resolution resolves it.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusMetricSource } from "../src/features/metrics/prometheus-metric-source.ts";
import { joinedAgent, sessionClient, startTestManager, type TestManager } from "../src/testing.ts";
import { send, startAlertmanager, startApp, startPrometheus, startProxy, tempDir, TelemetryPump, waitFor, type App, type PrometheusProcess, type ProxyProcess } from "./mesh-processes.ts";
import { userWithToken } from "./support.ts";

const run = promisify(execFile);

/** Tolerances, stated: increase() extrapolates to the window's edges (about one scrape interval of 1 s over a window of some 20 s: up to 10 % on counts); ratios are unaffected by it (1 point). */
const COUNT_TOLERANCE = 0.1;
const RATIO_TOLERANCE = 0.01;

describe("Prometheus interop", { timeout: 180_000 }, () => {
  let m: TestManager;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let catalog: App;
  let frontend: ProxyProcess;
  let prometheus: PrometheusProcess;
  let alertmanager: PrometheusProcess;
  let admin: Awaited<ReturnType<typeof sessionClient>>["client"];
  let failing = true;
  let pump: TelemetryPump;
  let served = 0;
  const sent = { requests: 0, failed: 0 };
  const selector = { namespace: "shop", service: "catalog" };

  beforeAll(async () => {
    tmp = await tempDir("weft-prom-");
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const east = await joinedAgent(admin, m.url, "east");
    // Discovery has seen catalog in east (the SLO analyzers refuse unknown services).
    const cluster = await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } });
    await m.db.prisma.service.create({ data: { clusterId: cluster.id, namespace: "shop", name: "catalog", ports: [{ name: "http", port: 8080, protocol: "HTTP" }] } });
    const { token } = await userWithToken(admin, m.url, sessionClient, "alertmanager", "OPERATOR");
    await writeFile(join(tmp.dir, "weft-token"), token, { mode: 0o600 });
    // Every tenth request fails with 503 while `failing`.
    catalog = await startApp((_req, res) => {
      served++;
      res.writeHead(failing && served % 10 === 0 ? 503 : 200).end("catalog");
    });
    alertmanager = await startAlertmanager(
      tmp.dir,
      `route: { receiver: weft, group_by: [alertname, weft_slo, weft_window], group_wait: 1s, group_interval: 1s, repeat_interval: 1h }
receivers:
  - name: weft
    webhook_configs:
      - url: ${m.url}/alertmanager/webhook
        send_resolved: true
        http_config: { authorization: { type: Bearer, credentials_file: ${JSON.stringify(join(tmp.dir, "weft-token"))} } }
`,
    );
    frontend = await startProxy(tmp.dir, { cluster: "east", namespace: "shop", service: "frontend", version: "v1" }, [{ service: "catalog", namespace: "shop", endpoints: [{ port: catalog.port, version: "v1", cluster: "east" }] }]);
    pump = new TelemetryPump([frontend], new Map([["east", east.client]]));
    prometheus = await startPrometheus(
      tmp.dir,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [${JSON.stringify(join(tmp.dir, "weft-rules.yml"))}]
alerting: { alertmanagers: [{ static_configs: [{ targets: ["${alertmanager.url.replace("http://", "")}"] }] }] }
scrape_configs:
  - job_name: weft-proxies
    metrics_path: /metrics
    static_configs: [{ targets: ["127.0.0.1:${frontend.adminPort}"], labels: { weft_cluster: east } }]
`,
    );
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await frontend?.stop();
    await catalog?.close();
    await m?.stop();
    await tmp?.remove();
  });

  const prom = () => new PrometheusMetricSource({ url: prometheus.url });
  const promTotal = async () => {
    const r = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(weft_requests_total{destination_service="catalog",reporter="source"})')}`)).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(r.data.result[0]?.value[1] ?? 0);
  };

  it("reads what the proxies served through PromQL, close to Weft's own rollups", async () => {
    // Warm up: the series exist in Prometheus before the measured window starts (increase() ignores a series' first sample).
    for (let i = 0; i < 10; i++) await send(frontend.outboundPort, "catalog");
    await waitFor("the first scrape of the warm-up", async () => (await promTotal()) === 10);
    await pump.flush(Date.now());
    const from = new Date();
    // A quiet stretch first: increase() scales what the samples saw by window / sampled span, so a longer span extrapolates less.
    await new Promise((r) => setTimeout(r, 8_000));
    for (let i = 0; i < 200; i++) {
      const status = await send(frontend.outboundPort, "catalog");
      sent.requests++;
      if (status !== 200) sent.failed++;
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 500));
    }
    expect(sent.failed).toBe(20);
    await waitFor("Prometheus to scrape every request", async () => (await promTotal()) === 210);
    await pump.flush(Date.now());
    await new Promise((r) => setTimeout(r, 2_000));
    const to = new Date();

    const viaProm = await prom().window({ selector, from, to, groupBy: ["cluster"], latencyThresholdsMs: [250], quantiles: [0.99] });
    expect(viaProm.query).toContain("increase(weft_requests_total{");
    const sample = viaProm.samples[0]!;
    expect(sample.group).toEqual({ cluster: "east" });
    expect(Math.abs(sample.requests - 200) / 200).toBeLessThanOrEqual(COUNT_TOLERANCE);
    expect(Math.abs(sample.errors / sample.requests - 0.1)).toBeLessThanOrEqual(RATIO_TOLERANCE);
    // A local app answers in well under 250 ms: (almost) every request is under the threshold; p99 is below it.
    expect(sample.underThreshold[250]! / sample.requests).toBeGreaterThan(0.95);
    expect(sample.quantiles[0.99]).toBeLessThan(250);

    // Weft's own rollups, fed from the same proxies, agree on the error ratio.
    const viaRollups = await m.services.metricSource.window({ selector, from: new Date(from.getTime() - 120_000), to: new Date(to.getTime() + 60_000) });
    const rollup = viaRollups.samples[0]!;
    expect(rollup.requests).toBe(210);
    expect(Math.abs(rollup.errors / rollup.requests - sample.errors / sample.requests)).toBeLessThanOrEqual(RATIO_TOLERANCE);
  });

  it("gives a series in steps, the traffic in the steps it fell in", async () => {
    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
    const series = await prom().series({ selector, from: new Date(to.getTime() - 3 * 60_000), to, stepMs: 60_000 });
    expect(series.points).toHaveLength(3);
    const total = series.points.reduce((n, p) => n + (p.samples[0]?.requests ?? 0), 0);
    // Up to 210 requests in the last three minutes (the warm-up's 10 are outside increase()'s first sample).
    expect(total).toBeGreaterThan(150);
    expect(total).toBeLessThan(260);
  });

  it("exports rules that promtool accepts, whose recorded ratio matches Weft's SLI, and whose alert opens and resolves a Weft ticket through Alertmanager", async () => {
    // An SLO in Weft, with short windows so the test sees a firing and a recovery: 10 % errors burn 10× a 99 % budget.
    const applied = await admin.resources.applyDocuments.mutate({
      text: `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: catalog-availability, namespace: shop }
spec:
  service: { name: catalog }
  indicator: { type: availability }
  objective: 99
  window: 7d
  alerting: { windows: [{ severity: ticket, longWindow: 2m, shortWindow: 1m, burnRate: 5 }] }
`,
    });
    expect(applied.status).toBe("applied");
    const { yaml } = await admin.slos.prometheusRules.query({ namespace: "shop", name: "catalog-availability" });
    const file = join(tmp.dir, "weft-rules.yml");
    await writeFile(file, yaml);
    const check = await run("promtool", ["check", "rules", file]);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect((await fetch(`${prometheus.url}/-/reload`, { method: "POST" })).ok).toBe(true);
    // Keep traffic flowing while the rules evaluate.
    const load = setInterval(() => void send(frontend.outboundPort, "catalog"), 50);
    try {
      // Both sides read once each has enough requests to say 10 % within a point: Prometheus's recorded 1m ratio
      // (some 1,200 requests at 20/s) and Weft's rollups of the same minute from at least 100 requests (the app
      // fails every tenth, so 100 of them are 10 % ± 1 point). Read at once, Weft's side could hold a handful of
      // requests since the last flush, and 1 failure in 5 is 20 %.
      const { recorded, weft } = await waitFor("the 1m error ratio recorded, and 100 requests in Weft's rollups", async () => {
        const r = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('weft_slo:sli_error:ratio_rate1m{weft_slo="shop/catalog-availability"}')}`)).json()) as { data: { result: { value: [number, string] }[] } };
        const v = r.data.result[0]?.value[1];
        if (v === undefined) return undefined;
        await pump.flush(Date.now());
        const sample = (await m.services.metricSource.window({ selector, from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) })).samples[0];
        return sample && sample.requests >= 100 ? { recorded: Number(v), weft: sample } : undefined;
      }, 90_000, 1_000);
      // The app fails every tenth request: both say 10 %, within the tolerance.
      expect(Math.abs(recorded - weft.errors / weft.requests)).toBeLessThanOrEqual(RATIO_TOLERANCE);
      expect(Math.abs(recorded - 0.1)).toBeLessThanOrEqual(RATIO_TOLERANCE);

      // Prometheus fires the exported alert; Alertmanager delivers it to Weft: a ticket tied to the SLO.
      const ticket = await waitFor("a ticket from Alertmanager", async () => (await admin.tickets.list.query({})).find((t) => t.source === "alertmanager"), 90_000, 500);
      expect(ticket).toMatchObject({ status: "OPEN", severity: "ticket", namespace: "shop", service: "catalog" });
      const detail = await admin.tickets.get.query({ id: ticket.id });
      expect((detail.context as { slo: { name: string } | null }).slo?.name).toBe("catalog-availability");
      expect((detail.context as { alertmanager: { labels: Record<string, string> } }).alertmanager.labels).toMatchObject({ alertname: "WeftSLOErrorBudgetBurn", weft_slo: "shop/catalog-availability", weft_window: "2m/1m" });

      // The errors stop: the 1m window clears, Prometheus resolves, Alertmanager says so, the ticket resolves.
      failing = false;
      await waitFor("the ticket to resolve", async () => (await admin.tickets.get.query({ id: ticket.id })).status === "RESOLVED", 150_000, 1_000);
    } finally {
      clearInterval(load);
    }
  });
});
