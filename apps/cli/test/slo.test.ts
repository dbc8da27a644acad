// `weft slo` and `weft tickets` against a real manager (in-process, test
// database): OpenSLO in (with what it assumed) and out (round-tripping),
// Prometheus rules that promtool accepts, SLO list and status after the
// evaluator judged errors, and a ticket listed, shown with its context,
// acknowledged, commented and closed. Malformed OpenSLO fails with its path.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { joinedAgent, seedDiscovery, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type TestManager } from "@weft/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli.ts";

const MINUTE = 60_000;
const OPENSLO = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  annotations:
    weft.io/namespace: shop
spec:
  service: checkout
  indicator:
    metadata: { name: checkout-errors }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(http_requests_total{code=~"5.."}[5m]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(http_requests_total[5m]))' } } }
  timeWindow: [{ duration: 4w, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
  alertPolicies:
    - kind: AlertPolicy
      metadata: { name: fast-burn, annotations: { weft.io/short-window: 5m } }
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: { name: fast }
            spec: { severity: ticket, condition: { kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h } }
        notificationTargets: [{ targetRef: on-call }]
`;

describe("weft slo and weft tickets", () => {
  let m: TestManager;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let now = Math.floor(Date.now() / MINUTE) * MINUTE;

  async function weft(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await run(args, { env, stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: Readable.from([stdin]) });
    return { code, out, err };
  }

  beforeAll(async () => {
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, clock: () => new Date(now) } });
    await seedDiscovery(m.db);
    dir = await mkdtemp(join(tmpdir(), "weft-cli-slo-"));
    env = { WEFT_CONFIG: join(dir, "config.json") };
    expect((await weft(["login", "--server", m.url, "--username", "admin", "--password-stdin"], `${m.adminPassword}\n`)).code).toBe(0);
  });
  afterAll(async () => {
    await m?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("imports OpenSLO, saying what it assumed, and exports it back", async () => {
    const file = join(dir, "slo.yaml");
    await writeFile(file, OPENSLO);
    const imported = await weft(["slo", "import", "-f", file, "-m", "from our SLO repo"]);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain("servicelevelobjective/shop/checkout-availability created");
    expect(imported.err).toContain("warning: spec.indicator.spec.ratioMetric: the bad/total queries are not run");
    const exported = await weft(["slo", "export", "checkout-availability", "-n", "shop"]);
    expect(exported.out).toMatch(/^# shop\/checkout-availability: OpenSLO cannot carry/);
    // Round trip: the export applied again changes nothing.
    await writeFile(join(dir, "back.yaml"), exported.out);
    expect((await weft(["slo", "import", "-f", join(dir, "back.yaml")])).out).toContain("servicelevelobjective/shop/checkout-availability unchanged");
  });

  it("refuses malformed OpenSLO with the OpenSLO path, storing nothing", async () => {
    const bad = await weft(["slo", "import", "-f", "-", "-n", "shop"], OPENSLO.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("spec.budgetingMethod");
    expect((await weft(["slo", "list"])).out.trim().split("\n")).toHaveLength(2);
  });

  it("exports Prometheus rules that promtool accepts", async () => {
    const rules = await weft(["slo", "export", "--format", "prometheus"]);
    expect(rules.code).toBe(0);
    await writeFile(join(dir, "rules.yml"), rules.out);
    const { stdout } = await promisify(execFile)("promtool", ["check", "rules", join(dir, "rules.yml")]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("lists SLOs with their judgement and works a ticket", async () => {
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const agent = (await joinedAgent(admin, m.url, "west")).client;
    const sketch = (n: number) => {
      const s = new LatencySketch();
      s.add(8, n);
      return s.toJSON();
    };
    const edge = (codeClass: "2xx" | "5xx", n: number) => ({ minute: now, source: { cluster: "west", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v1" }, codeClass, requests: n, errors: codeClass === "5xx" ? n : 0, latency: sketch(n) });
    for (let i = 0; i < 10; i++) {
      await agent.agent.reportTelemetry.mutate({ edges: [edge("2xx", 90), edge("5xx", 10)] });
      now += MINUTE;
    }
    await m.services.controllers.slo.tick();
    const list = await weft(["slo", "list"]);
    expect(list.out).toMatch(/^NAMESPACE\s+NAME\s+SERVICE\s+SLI\s+OBJECTIVE\s+BUDGET\s+BURN\s+FIRING\n/);
    expect(list.out).toMatch(/shop\s+checkout-availability\s+shop\/checkout\s+90\.000%\s+99\.9%\/28d\s+-9900%\s+100x\/1h\s+ticket:1h\/5m\n/);
    const status = await weft(["slo", "status", "checkout-availability", "-n", "shop"]);
    expect(status.out).toContain("ticket 1h/5m: firing — 100x / 100x (threshold 14.4x)");

    const tickets = await weft(["tickets", "list"]);
    expect(tickets.out).toMatch(/^#\s+STATUS\s+SEVERITY\s+SERVICE\s+OPENED\s+FIRED\s+TITLE\n1\s+open\s+ticket\s+shop\/checkout\s/);
    expect((await weft(["tickets", "ack", "#1"])).out).toBe("ticket #1: acknowledged\n");
    expect((await weft(["tickets", "comment", "1", "-m", "rolling back the timeout change"])).code).toBe(0);
    const shown = await weft(["tickets", "show", "1"]);
    expect(shown.out).toMatch(/^#1 \[acknowledged\] shop\/checkout-availability: burning 100× over 1h\/5m/);
    expect(shown.out).toContain("callers: shop/frontend (10% errors)");
    expect(shown.out).toContain("admin (comment): rolling back the timeout change");
    expect((await weft(["tickets", "close", "1"])).code).toBe(0);
    expect((await weft(["tickets", "list"])).out).toBe("no tickets\n");
    expect((await weft(["tickets", "show", "abc"])).code).toBe(2);
  });
});
