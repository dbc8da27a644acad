// `weft` end to end: a real manager (in-process, on a test database) and the
// CLI's own code path, from login to apply, diff, history, rollback and delete.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { seedDiscovery, startTestManager, TEST_SERVICE_SETTINGS, type TestManager } from "@weft/api/testing";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveKind, run } from "../src/cli.ts";

const ROUTE = (v1: number, v2: number) => `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata:
  name: checkout
  namespace: shop
spec:
  parentRefs:
    - name: checkout
  rules:
    - backendRefs:
        - name: checkout
          version: v1
          weight: ${v1}
        - name: checkout
          version: v2
          weight: ${v2}
`;
const POLICY = `apiVersion: weft.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: cart
  namespace: shop
spec:
  targetRef:
    name: cart
  loadBalancer:
    algorithm: LEAST_REQUEST
`;
const DENY = `apiVersion: weft.io/v1alpha1
kind: AuthorizationPolicy
metadata:
  name: no-batch
  namespace: shop
spec:
  targetRef:
    name: frontend
  action: DENY
  rules:
    - from:
        namespaces: [jobs]
`;

describe("weft CLI against a running manager", () => {
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
    // With a CA key, as a real manager has: weft check looks for it.
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) } } });
    await seedDiscovery(m.db);
    dir = await mkdtemp(join(tmpdir(), "weft-cli-test-"));
    env = { WEFT_CONFIG: join(dir, "config.json") };
  });
  afterAll(async () => {
    await m?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("logs in with a password, storing only a token, readable only by the user", async () => {
    const result = await weft(["login", "--server", m.url, "--username", "admin", "--password-stdin"], `${m.adminPassword}\n`);
    expect(result).toMatchObject({ code: 0, err: "" });
    expect(result.out).toContain("as admin (admin)");
    const config = JSON.parse(await readFile(env.WEFT_CONFIG as string, "utf8")) as { server: string; token: string };
    expect(config).toMatchObject({ server: m.url, token: expect.stringMatching(/^weft_/) });
    expect(JSON.stringify(config)).not.toContain(m.adminPassword);
    expect((await stat(env.WEFT_CONFIG as string)).mode & 0o777).toBe(0o600);
  });

  it("applies a multi-document YAML file: dry run first, then for real", async () => {
    const file = join(dir, "shop.yaml");
    await writeFile(file, `${ROUTE(90, 10)}---\n${POLICY}---\n${DENY}`);

    const dry = await weft(["apply", "-f", file, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("httproute/shop/checkout created (dry run)");
    expect(dry.out).toContain("authorizationpolicy/shop/no-batch created (dry run)");
    expect(dry.out).toMatch(/proxy configuration changes for \d+ workload\(s\)/);
    expect((await weft(["get", "httproutes"])).out).toBe("no resources found\n");

    const applied = await weft(["apply", "-f", file, "-m", "shop policies"]);
    expect(applied).toMatchObject({ code: 0, err: "" });
    expect(applied.out.split("\n").slice(0, 3)).toEqual(["httproute/shop/checkout created", "trafficpolicy/shop/cart created", "authorizationpolicy/shop/no-batch created"]);
    expect(applied.out).toContain("mesh config version 1");

    const listed = await weft(["get", "HTTPRoute", "-n", "shop"]);
    expect(listed.out).toMatch(/^NAMESPACE\s+NAME\s+REVISION\s+UPDATED\nshop\s+checkout\s+1\s+/);
    const yaml = await weft(["get", "trafficpolicy", "cart", "-n", "shop"]);
    expect(parseAllDocuments(yaml.out)[0]?.toJS()).toMatchObject({ kind: "TrafficPolicy", spec: { loadBalancer: { algorithm: "LEAST_REQUEST" } } });
    const json = JSON.parse((await weft(["get", "authorizationpolicies", "-n", "shop", "-o", "json"])).out) as { metadata: { name: string } }[];
    expect(json.map((d) => d.metadata.name)).toEqual(["no-batch"]);

    expect((await weft(["apply", "-f", file])).out).toContain("httproute/shop/checkout unchanged");
  });

  it("prints every listing as -o json, yaml, wide or a table, the option before or after the command", async () => {
    const wide = await weft(["get", "httproutes", "-o", "wide"]);
    expect(wide.out).toMatch(/^NAMESPACE\s+NAME\s+REVISION\s+UPDATED\s+LABELS\s+CREATED\n/);
    const history = JSON.parse((await weft(["-o", "json", "history", "httproute", "checkout", "-n", "shop"])).out) as { revision: number; configVersion: number; createdAt: string }[];
    expect(history).toEqual([expect.objectContaining({ revision: 1, configVersion: 1, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
    const yaml = parseAllDocuments((await weft(["history", "httproute", "checkout", "-n", "shop", "-o", "yaml"])).out)[0]?.toJS() as { action: string }[];
    expect(yaml.map((r) => r.action)).toEqual(["create"]);
    const dry = JSON.parse((await weft(["apply", "-f", join(dir, "shop.yaml"), "--dry-run", "-o", "json"])).out) as { dryRun: boolean; changes: { action: string }[] };
    expect(dry).toMatchObject({ dryRun: true, changes: [{ action: "unchanged" }, { action: "unchanged" }, { action: "unchanged" }] });
    const refused = await weft(["get", "httproutes", "-o", "xml"]);
    expect(refused).toMatchObject({ code: 2, err: expect.stringContaining("Allowed choices are table, wide, json, yaml") });
  });

  it("prints the field paths of invalid documents and stores nothing", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, `${POLICY}---\n${ROUTE(90, 10).replace("weight: 10", "weight: ten").replace("name: checkout\n  namespace", "name: broken\n  namespace")}`);
    const result = await weft(["apply", "-f", bad]);
    expect(result.code).toBe(1);
    // Documents and lines both count from 1: the route is the second document, its weight on line 27 of the file.
    expect(result.err).toContain("document 2, line 27: spec.rules[0].backendRefs[1].weight: expected number, received string [invalid_type]");
    expect((await weft(["get", "httproute", "broken", "-n", "shop"])).err).toContain("not found");
  });

  it("names the document of an analyzer error, and does not call a missing resource invalid input", async () => {
    const ghost = join(dir, "ghost.yaml");
    await writeFile(ghost, `${POLICY}---\n${ROUTE(90, 10).replace(/name: checkout/g, "name: ghost")}`);
    const refused = await weft(["apply", "-f", ghost]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("the change was refused by the analyzers:");
    expect(refused.err).toMatch(/^ {2}document 2: spec\.(parentRefs|rules)\[0\]\S*: HTTPRoute\/shop\/ghost: .*\[WEFT1001\]$/m);

    const missing = await weft(["delete", "httproute", "nope", "-n", "shop"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("error: HTTPRoute/shop/nope not found\n");
  });

  it("diffs, shows history and rolls back", async () => {
    const file = join(dir, "split.yaml");
    await writeFile(file, ROUTE(50, 50));
    const diff = await weft(["diff", "-f", file]);
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/-\s+weight: 90\n\+\s+weight: 50/);
    expect((await weft(["apply", "-f", file])).code).toBe(0);
    expect((await weft(["diff", "-f", file])).code).toBe(0);

    const rollback = await weft(["rollback", "httproute", "checkout", "-n", "shop", "--to", "1"]);
    expect(rollback).toMatchObject({ code: 0, err: "" });
    expect(rollback.out).toContain("httproute/shop/checkout configured");
    const history = await weft(["history", "httproute", "checkout", "-n", "shop"]);
    expect(history.out.split("\n").slice(1, 4).map((l) => l.split(/\s+/).slice(0, 4).join(" "))).toEqual(["3 restore admin 3", "2 update admin 2", "1 create admin 1"]);
  });

  it("deletes", async () => {
    const result = await weft(["delete", "trafficpolicy", "cart", "-n", "shop"]);
    expect(result.out).toContain("trafficpolicy/shop/cart deleted");
    expect((await weft(["get", "trafficpolicies"])).out).toBe("no resources found\n");
  });

  it("checks the installation: ✔ for the manager and the CA, ✘ naming a cluster whose agent is gone", async () => {
    const check = await weft(["check"]);
    expect(check.code).toBe(1);
    expect(check.out).toContain("✔ manager is reachable");
    expect(check.out).toContain("✔ database is up");
    expect(check.out).toContain("✔ database migrations are applied");
    expect(check.out).toContain("✔ the mesh CA key is configured");
    expect(check.out).toContain("✘ cluster east is connected\n    its agent is disconnected (never seen)");
    expect(check.out).toContain("✘ cluster east is in sync\n    it has never applied a config");
    const json = JSON.parse((await weft(["check", "-o", "json"])).out) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(json.ok).toBe(false);
    expect(json.checks.filter((c) => c.status === "fail").map((c) => c.name)).toEqual(["cluster east is connected", "cluster east is in sync"]);
  });

  it("lists clusters, certificates and edges", async () => {
    expect((await weft(["clusters"])).out).toMatch(/^NAME\s+STATUS\s+SYNC\s+CONFIG\s+PROXIES\s+LAST-SEEN\neast\s+disconnected\s+never\s+-\/\d+\s+0\/0\s+never\n$/);
    expect((await weft(["certs"])).out).toBe("no certificates\n");
    expect((await weft(["edges", "--window", "10m"])).out).toBe("no traffic in the window (last 10m)\n");
    expect(JSON.parse((await weft(["edges", "-o", "json"])).out)).toMatchObject({ groupBy: "edge", groups: [] });
  });

  it("analyzes a folder offline, naming each finding's file", async () => {
    const result = await weft(["analyze", "-f", join(import.meta.dirname, "testdata", "shop"), "-o", "wide"]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^error\s+WEFT1102\s+httproute\/shop\/checkout\s+spec\.rules\[0\]\S*\s+routes\.yaml, document 1\s+/m);
    expect(result.out).toContain("not checked offline (they need discovery; weft apply --dry-run checks them): WEFT1001 unknown-service");
  });

  it("explains usage mistakes and missing logins", async () => {
    expect((await weft(["get", "virtualservice"])).err).toContain('unknown kind "virtualservice"');
    expect((await weft(["rollback", "httproute", "checkout"])).code).toBe(2);
    const loggedOut = await run(["get", "httproutes"], { env: { WEFT_CONFIG: join(dir, "none.json") }, stdout: () => {}, stderr: () => {}, stdin: Readable.from([""]) });
    expect(loggedOut).toBe(2);
  });

  it("suggests a Sidecar from the services frontend called, which weft apply -f - takes from stdin", async () => {
    // After "lists ... edges": from here on the rollups hold traffic.
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
    const row = (destNamespace: string, destService: string, requests: number) => ({
      minute,
      edgeKey: `frontend>${destNamespace}/${destService}`,
      sourceCluster: "east",
      sourceNamespace: "shop",
      sourceService: "frontend",
      sourceVersion: "v1",
      destCluster: "east",
      destNamespace,
      destService,
      destVersion: "v1",
      codeClass: "2xx",
      requests: BigInt(requests),
      latency: {},
    });
    await m.db.prisma.edgeMinute.createMany({ data: [row("shop", "checkout", 12), row("payments", "ledger", 4)] });
    const suggested = await weft(["sidecar", "suggest", "shop/frontend", "--since", "1h"]);
    expect(suggested.code).toBe(0);
    expect(parseAllDocuments(suggested.out).map((d) => d.toJS())).toEqual([
      { apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name: "frontend-egress", namespace: "shop" }, spec: { targetRef: { kind: "Service", name: "frontend" }, egress: { hosts: ["payments/ledger", "shop/checkout"] } } },
    ]);
    expect(suggested.err).toMatch(/# {3}shop\/checkout {2}12 requests, last \S+ \(east\)/);
    expect(suggested.err).toContain("# note: the telemetry covers only");
    const applied = await weft(["apply", "-f", "-"], suggested.out);
    expect(applied.out).toContain("sidecar/shop/frontend-egress created");
    expect(JSON.parse((await weft(["sidecar", "suggest", "shop/frontend", "-o", "json"])).out)).toMatchObject({ kind: "Sidecar", metadata: { name: "frontend-egress" } });
    const none = await weft(["sidecar", "suggest", "shop/cart"]);
    expect(none.code).toBe(1);
    expect(none.err).toContain("no outbound calls of shop/cart's workloads");
    expect((await weft(["sidecar", "suggest", "Shop/cart"])).code).toBe(2);
  });

  it.each([
    ["httproute", "HTTPRoute"],
    ["HTTPRoutes", "HTTPRoute"],
    ["trafficpolicies", "TrafficPolicy"],
    ["gateways", "Gateway"],
    ["mesh", "Mesh"],
  ])("reads the kind %s as %s", (text, kind) => {
    expect(resolveKind(text)).toBe(kind);
  });
});
