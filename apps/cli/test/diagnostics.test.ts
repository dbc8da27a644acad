// `weft diagnostics` against a real manager: the findings an agent
// acknowledged, as a table with the reason in words, filtered, and as JSON.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { joinedAgent, sessionClient, startTestManager, type TestManager } from "@weft/api/testing";
import type { AckDiagnostic } from "@weft/mesh-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli.ts";

const UNREACHABLE: AckDiagnostic = {
  severity: "warning",
  code: "unreachable_endpoint",
  path: "catalog",
  service: "shop/inventory",
  message: "shop/inventory in cluster west has no proxy in front of it, and its east-west gateway only passes mTLS through to a proxy: those endpoints are left out (mesh them, or call the service in its own cluster)",
  proxies: ["shop/catalog-v1", "shop/catalog-v2"],
  proxyCount: 2,
};
const UNSUPPORTED: AckDiagnostic = { severity: "warning", code: "unsupported_field", resource: "TrafficPolicy/shop/cart", path: "spec.connectionPool.maxRequestsPerConnection", message: "not applied: the proxy has no such limit", proxies: ["shop/frontend"], proxyCount: 1 };
const INFO: AckDiagnostic = { severity: "info", code: "unknown_target", resource: "TrafficPolicy/shop/ledger", path: "spec.targetRef", message: "service shop/ledger is not in the catalog; the policy has no effect here", proxies: ["shop/frontend"], proxyCount: 1 };

describe("weft diagnostics", () => {
  let m: TestManager;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  async function weft(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await run(args, { env, stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: Readable.from([stdin]) });
    return { code, out, err };
  }

  beforeAll(async () => {
    m = await startTestManager();
    dir = await mkdtemp(join(tmpdir(), "weft-cli-diagnostics-"));
    env = { WEFT_CONFIG: join(dir, "config.json") };
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const east = await joinedAgent(admin, m.url, "east");
    await joinedAgent(admin, m.url, "west");
    const version = (await admin.mesh.status.query()).configVersion.toString();
    await east.client.agent.ackConfig.mutate({ configVersion: version, status: "applied", diagnostics: [UNREACHABLE, UNSUPPORTED, INFO] });
    expect((await weft(["login", "--server", m.url, "--username", "admin", "--password-stdin"], `${m.adminPassword}\n`)).code).toBe(0);
  });
  afterAll(async () => {
    await m?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("prints every finding, most serious first, with what it is about and the reason; says which cluster has not reported", async () => {
    const result = await weft(["diagnostics"]);
    expect(result.code).toBe(0);
    const lines = result.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^SEVERITY\s+CLUSTER\s+CODE\s+ABOUT\s+PROXIES\s+REASON$/);
    expect(lines.slice(1).map((l) => l.split(/\s{3,}/).slice(0, 5))).toEqual([
      ["warning", "east", "unreachable_endpoint", "shop/inventory", "2"],
      ["warning", "east", "unsupported_field", "TrafficPolicy/shop/cart spec.connectionPool.maxRequestsPerConnection", "1"],
      ["info", "east", "unknown_target", "TrafficPolicy/shop/ledger spec.targetRef", "1"],
    ]);
    expect(lines[1]).toContain(UNREACHABLE.message);
    expect(result.err).toBe("cluster west: no acknowledgement yet\n");
  });

  it("filters by service and severity, and prints the document as JSON", async () => {
    const byService = await weft(["diagnostics", "--service", "shop/inventory", "-o", "wide"]);
    expect(byService.out.trimEnd().split("\n")).toHaveLength(2);
    expect(byService.out).toContain("shop/catalog-v1,shop/catalog-v2");
    expect((await weft(["diagnostics", "--severity", "warning"])).out).not.toContain("unknown_target");
    const json = JSON.parse((await weft(["diagnostics", "--service", "shop/inventory", "-o", "json"])).out) as { diagnostics: { cluster: string; code: string; service: string; message: string }[] };
    expect(json.diagnostics).toEqual([expect.objectContaining({ cluster: "east", code: "unreachable_endpoint", service: "shop/inventory", message: UNREACHABLE.message })]);
    expect((await weft(["diagnostics", "--service", "shop/reviews"])).out).toBe("no diagnostics\n");
  });

  it("explains a bad filter", async () => {
    const bad = await weft(["diagnostics", "--service", "inventory"]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/service/);
    expect((await weft(["diagnostics", "--severity", "fatal"])).code).toBe(2);
  });
});
