// GitOps with weft: a folder is the truth for the resources its selector
// covers. apply --prune deletes what the folder no longer declares (in the
// same change, shown first by --dry-run), diff's exit code tells CI whether
// the mesh drifted, and a CI token scoped to one namespace cannot prune
// outside it.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { seedDiscovery, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type TestManager } from "@weft/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli.ts";

const policy = (name: string, namespace: string, labels: string) => `apiVersion: weft.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: { ${labels} }
spec:
  targetRef:
    name: ${name}
  loadBalancer:
    algorithm: LEAST_REQUEST
`;

describe("weft apply --prune and diff for GitOps", () => {
  let m: TestManager;
  let dir: string;
  let repo: string;

  async function weft(args: string[], config = "admin.json", stdin = ""): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await run(args, { env: { WEFT_CONFIG: join(dir, config) }, stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: Readable.from([stdin]) });
    return { code, out, err };
  }
  const names = async (kind: string) => (JSON.parse((await weft(["get", kind, "-o", "json"])).out) as { metadata: { namespace: string; name: string } }[]).map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort();

  beforeAll(async () => {
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, identity: { caKey: randomBytes(32) } } });
    await seedDiscovery(m.db);
    dir = await mkdtemp(join(tmpdir(), "weft-gitops-"));
    repo = join(dir, "shop");
    await mkdir(join(repo, "policies"), { recursive: true });
    expect((await weft(["login", "--server", m.url, "--username", "admin", "--password-stdin"], "admin.json", `${m.adminPassword}\n`)).code).toBe(0);
    // Outside the folder's selector: another team's policy, and one without labels.
    await writeFile(join(dir, "others.yaml"), `${policy("ledger", "payments", "app: payments")}---\n${policy("checkout", "shop", "team: web").replace("  labels: { team: web }\n", "")}`);
    expect((await weft(["apply", "-f", join(dir, "others.yaml")])).code).toBe(0);
    await writeFile(join(repo, "policies", "cart.yaml"), policy("cart", "shop", "app: shop"));
    await writeFile(join(repo, "policies", "frontend.yaml"), policy("frontend", "shop", "app: shop"));
  });
  afterAll(async () => {
    await m?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses --prune without a selector", async () => {
    const result = await weft(["apply", "-f", repo, "--prune"]);
    expect(result).toMatchObject({ code: 2, out: "" });
    expect(result.err).toContain("--prune needs --selector");
  });

  it("applies the folder; diff then exits 0", async () => {
    const applied = await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop", "-m", "from git"]);
    expect(applied).toMatchObject({ code: 0, err: "" });
    expect(applied.out).toContain("trafficpolicy/shop/cart created\ntrafficpolicy/shop/frontend created\n");
    expect((await weft(["diff", "-f", repo, "--prune", "--selector", "app=shop"])).code).toBe(0);
  });

  it("removes exactly what the folder no longer declares within the selector, shown first by --dry-run and diff", async () => {
    await unlink(join(repo, "policies", "frontend.yaml"));
    const dry = await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out.split("\n").slice(0, 2)).toEqual(["trafficpolicy/shop/cart unchanged", "trafficpolicy/shop/frontend deleted (dry run)"]);
    expect(await names("trafficpolicies")).toEqual(["payments/ledger", "shop/cart", "shop/checkout", "shop/frontend"]);

    const diff = await weft(["diff", "-f", repo, "--prune", "--selector", "app=shop"]);
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/trafficpolicy\/shop\/frontend deleted \(dry run\)\n=+\n--- TrafficPolicy\/shop\/frontend\trevision 1\n\+\+\+ \/dev\/null/);

    const applied = await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop"]);
    expect(applied.code).toBe(0);
    expect(applied.out).toContain("trafficpolicy/shop/frontend deleted\n");
    // One change: one new config version for the whole prune.
    expect(applied.out.match(/mesh config version \d+/g)).toHaveLength(1);
    expect(await names("trafficpolicies")).toEqual(["payments/ledger", "shop/cart", "shop/checkout"]);
    expect((await weft(["diff", "-f", repo, "--prune", "--selector", "app=shop"])).code).toBe(0);
  });

  it("refuses a document without the selector's labels, naming its file, and stores nothing", async () => {
    await writeFile(join(repo, "policies", "stray.yaml"), policy("frontend", "shop", "team: web"));
    const refused = await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("policies/stray.yaml, document 1: metadata.labels: TrafficPolicy/shop/frontend does not carry the prune selector's labels (app=shop)");
    expect((await weft(["diff", "-f", repo, "--prune", "--selector", "app=shop"])).code).toBe(3);
    await unlink(join(repo, "policies", "stray.yaml"));
    expect(await names("trafficpolicies")).toEqual(["payments/ledger", "shop/cart", "shop/checkout"]);
  });

  it("lets a CI token scoped to namespace shop prune there, and not in a namespace it has no role in", async () => {
    const { client: admin } = await sessionClient(m.url, "admin", m.adminPassword);
    const ci = await admin.users.create.mutate({ username: "ci-shop", password: "ci-shop-password-1234", role: "VIEWER" });
    await admin.users.addRoleBinding.mutate({ userId: ci.id, role: "OPERATOR", namespace: "shop" });
    expect((await weft(["login", "--server", m.url, "--username", "ci-shop", "--password-stdin"], "ci.json", "ci-shop-password-1234\n")).code).toBe(0);

    await writeFile(join(repo, "policies", "frontend.yaml"), policy("frontend", "shop", "app: shop"));
    expect((await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop"], "ci.json")).code).toBe(0);

    // Someone labelled a payments policy app=shop: pruning it needs a role in payments.
    await writeFile(join(dir, "payments.yaml"), policy("ledger", "payments", "app: shop"));
    expect((await weft(["apply", "-f", join(dir, "payments.yaml")])).code).toBe(0);
    const refused = await weft(["apply", "-f", repo, "--prune", "--selector", "app=shop"], "ci.json");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: .*payments/m);
    expect(await names("trafficpolicies")).toEqual(["payments/ledger", "shop/cart", "shop/checkout", "shop/frontend"]);
  });
});
