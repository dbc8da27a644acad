// docker-compose.yml and the Dockerfiles it builds, checked without a Docker
// engine (none runs here): Debian's docker-compose validates and resolves the
// file, every build context, Dockerfile and target stage it names must exist,
// every Dockerfile passes our checks (src/dockerfile-lint.ts) and copies only
// files that exist, the generated demo files are current, promtool accepts the
// Prometheus configs, the agents accept the arguments compose gives them, and
// deploy/kubernetes names the same images.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { DockerfileParser, type Copy, type From } from "dockerfile-ast";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTMANAGER_TOKEN_FILE, composeClusters, composeFiles, agentService } from "../src/compose-files.ts";
import { lintDockerfile } from "../src/dockerfile-lint.ts";

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..", "..");
const DOCKERFILES = join(ROOT, "deploy", "docker");

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  network_mode?: string;
  read_only?: boolean;
  user?: string;
}

const stagesOf = (text: string) =>
  DockerfileParser.parse(text)
    .getFROMs()
    .map((f: From) => f.getBuildStage())
    .filter((s): s is string => !!s);

describe("docker-compose.yml", () => {
  let services: Record<string, ComposeService>;
  let tmp: string;

  beforeAll(async () => {
    // Resolved as Docker would run it: anchors merged, paths absolute, variables substituted.
    const { stdout } = await exec("docker-compose", ["-f", join(ROOT, "docker-compose.yml"), "config"], { cwd: ROOT, env: { ...process.env, WEFT_POSTGRES_PASSWORD: "compose-test" } });
    services = (parse(stdout) as { services: Record<string, ComposeService> }).services;
    tmp = await mkdtemp(join(tmpdir(), "weft-compose-"));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("has the platform's services: database, manager, dashboard, two demo clusters, Prometheus and Alertmanager", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["postgres", "ca-key", "manager", "dashboard", "demo-join", "prometheus", "alertmanager", ...composeClusters().flatMap((c) => [agentService(c), `demo-${c}`, `prometheus-${c}`])].sort(),
    );
    expect(services.manager?.build).toBeDefined();
  });

  it("names build contexts, Dockerfiles and target stages that exist", async () => {
    const built = Object.entries(services).filter(([, s]) => s.build);
    expect(built.length).toBeGreaterThanOrEqual(6);
    for (const [name, service] of built) {
      const build = service.build!;
      expect(existsSync(build.context), `${name}: context ${build.context}`).toBe(true);
      const dockerfile = join(build.context, build.dockerfile ?? "Dockerfile");
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      expect(stagesOf(await readFile(dockerfile, "utf8")), `${name}: target ${build.target}`).toContain(build.target);
    }
  });

  it("gives one image name to one Dockerfile and target, and builds every image it runs of ours", () => {
    const byImage = new Map<string, string>();
    for (const [name, service] of Object.entries(services)) {
      if (!service.image?.startsWith("ghcr.io/weft-mesh/")) continue;
      expect(service.build, `${name} runs ${service.image} but does not say how to build it`).toBeDefined();
      const recipe = `${relative(ROOT, join(service.build!.context, service.build!.dockerfile ?? "Dockerfile"))}#${service.build!.target}`;
      expect(byImage.get(service.image) ?? recipe, `${service.image} is built two ways`).toBe(recipe);
      byImage.set(service.image, recipe);
    }
    expect([...byImage.keys()].sort()).toEqual(["ghcr.io/weft-mesh/weft-agent-demo:0.1.0", "ghcr.io/weft-mesh/weft-agent:0.1.0", "ghcr.io/weft-mesh/weft-dashboard:0.1.0", "ghcr.io/weft-mesh/weft-manager:0.1.0"]);
  });

  it("mounts only files that exist, and runs our containers read-only", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === "string" ? volume.split(":")[0]! : volume.source;
        if (source.startsWith("/")) expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
      }
      if (name !== "postgres") expect(service.read_only, `${name} read_only`).toBe(true);
    }
  });

  it("runs the agents with arguments the agent accepts", async () => {
    const entrypoint = DockerfileParser.parse(await readFile(join(DOCKERFILES, "agent.Dockerfile"), "utf8"))
      .getInstructions()
      .filter((i) => i.getKeyword() === "ENTRYPOINT")
      .map((i) => JSON.parse(i.getArgumentsContent() ?? "[]") as string[])
      .at(-1)!;
    expect(entrypoint.slice(0, 2)).toEqual(["node", "apps/agent/bin/weft-agent.js"]);
    for (const cluster of composeClusters()) {
      const service = services[agentService(cluster)]!;
      const joinFile = join(tmp, `${cluster}.yaml`);
      await writeFile(joinFile, "joinToken: 0123456789abcdef0123456789abcdef\n");
      const mounts = new Map((service.volumes ?? []).flatMap((v) => (typeof v === "string" ? [] : [[v.target, v.source] as const])));
      // Files compose mounts are read from where they live here; the join file is the demo-join step's output.
      const args = [...entrypoint.slice(2), ...service.command!].map((a) => (a === `/var/lib/weft-join/${cluster}.yaml` ? joinFile : (mounts.get(a) ?? a)));
      const { stdout } = await exec(process.execPath, [join(ROOT, entrypoint[1]!), ...args, "--print-config"], { cwd: ROOT });
      expect(parse(stdout)).toMatchObject({ cluster, mode: "universal", manager: "http://manager:4000", joinToken: "***", stateDir: "/var/lib/weft-agent", proxyBin: "/app/packages/proxy/dist/weft-proxy.mjs" });
    }
  });

  it("has current generated demo files (npm run compose:files -w @weft/containers)", async () => {
    for (const [path, text] of composeFiles()) expect(await readFile(join(ROOT, path), "utf8"), path).toBe(text);
  });

  it("has Prometheus configs promtool accepts", async () => {
    await exec("promtool", ["check", "config", join(ROOT, "deploy/compose/prometheus.yml")]);
    for (const cluster of composeClusters()) await exec("promtool", ["check", "config", "--agent", join(ROOT, `deploy/compose/${cluster}/prometheus-agent.yml`)]);
  });

  it("evaluates the demo SLOs' burn-rate rules and sends their alerts to an Alertmanager that delivers to Weft's receiver", async () => {
    const rules = await exec("promtool", ["check", "rules", join(ROOT, "deploy/compose/rules/weft-slo.yml")]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(await readFile(join(ROOT, "deploy/compose/rules/weft-slo.yml"), "utf8")).toContain("weft_slo: shop/catalog-availability");
    await exec("amtool", ["check-config", join(ROOT, "deploy/compose/alertmanager.yml")]);
    const alertmanager = parse(await readFile(join(ROOT, "deploy/compose/alertmanager.yml"), "utf8")) as { receivers: { webhook_configs: { url: string; send_resolved: boolean; http_config: { authorization: { credentials_file: string } } }[] }[] };
    const hook = alertmanager.receivers[0]!.webhook_configs[0]!;
    expect(hook).toMatchObject({ url: "http://manager:4000/alertmanager/webhook", send_resolved: true });
    // The token file is in the volume the join step writes and Alertmanager mounts.
    expect(hook.http_config.authorization.credentials_file).toBe(`/var/lib/weft-join/${ALERTMANAGER_TOKEN_FILE}`);
    expect(services.alertmanager?.volumes).toContain("join-tokens:/var/lib/weft-join:ro");
  });
});

describe("the Dockerfiles", () => {
  it.each(["manager", "dashboard", "agent", "proxy"])("%s.Dockerfile passes the checks and copies files that exist", async (program) => {
    const text = await readFile(join(DOCKERFILES, `${program}.Dockerfile`), "utf8");
    expect(lintDockerfile(text)).toEqual([]);
    const copies = DockerfileParser.parse(text)
      .getInstructions()
      .filter((i): i is Copy => i.getKeyword() === "COPY" && !(i as Copy).getFromFlag());
    for (const copy of copies) {
      for (const source of copy.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--")).slice(0, -1)) expect(existsSync(join(ROOT, source)), `${program}: COPY ${source}`).toBe(true);
    }
  });

  it("are all checked: one per shipped program", async () => {
    expect((await readdir(DOCKERFILES)).sort()).toEqual(["agent.Dockerfile", "dashboard.Dockerfile", "manager.Dockerfile", "proxy.Dockerfile"]);
  });

  it("keep local state, secrets and dependencies out of the build context (.dockerignore)", async () => {
    const ignored = (await readFile(join(ROOT, ".dockerignore"), "utf8")).split("\n").map((l) => l.trim());
    for (const pattern of [".git", "**/node_modules", ".weft", "**/.env", "**/*.pem", "**/*.key", "packages/db/src/generated"]) expect(ignored).toContain(pattern);
  });

  it("are the images deploy/kubernetes runs", async () => {
    const images = new Set<string>();
    for (const file of await readdir(join(ROOT, "deploy/kubernetes"))) {
      if (!file.endsWith(".yaml")) continue;
      for (const doc of parseAllDocuments(await readFile(join(ROOT, "deploy/kubernetes", file), "utf8"))) {
        const text = JSON.stringify(doc.toJS());
        for (const match of text.matchAll(/ghcr\.io\/weft-mesh\/[a-z-]+:[\w.]+/g)) images.add(match[0]);
      }
    }
    // The agent's injected sidecar image is its --proxy-image default.
    const agentConfig = await readFile(join(ROOT, "apps/agent/src/config.ts"), "utf8");
    for (const match of agentConfig.matchAll(/ghcr\.io\/weft-mesh\/[a-z-]+:[\w.]+/g)) images.add(match[0]);
    // Each Dockerfile's header says the name it is built as (docker build -t NAME .).
    const built = await Promise.all(["manager", "dashboard", "agent", "proxy"].map(async (p) => (await readFile(join(DOCKERFILES, `${p}.Dockerfile`), "utf8")).match(/-t (\S+) \./)?.[1]));
    expect(built.sort()).toEqual(["ghcr.io/weft-mesh/weft-agent:0.1.0", "ghcr.io/weft-mesh/weft-dashboard:0.1.0", "ghcr.io/weft-mesh/weft-manager:0.1.0", "ghcr.io/weft-mesh/weft-proxy:0.1.0"]);
    expect([...images].sort()).toEqual(built);
  });
});
