import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, send, Stack, vhost, type Upstream } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

const CLI = join(import.meta.dirname, "../src/cli.ts");

interface Running {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const logs: Record<string, unknown>[] = [];
  let buffered = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  stack.defer(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, logs, exited };
}

function routeTo(up: Upstream, version: string) {
  return config({
    version,
    listeners: [{ kind: "outbound", name: "outbound", port: 0 }],
    backends: [backend(`${up.name}.default`, [up])],
    virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: `${up.name}.default` }] }])],
  });
}

describe("weft-proxy CLI", () => {
  it("serves a YAML config, reloads on change, refuses a bad file and drains on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-proxy-"));
    stack.defer(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "proxy.yaml");
    const release: (() => void)[] = [];
    const blue = await stack.upstream("blue");
    const green = await stack.upstream("green", (req, res) => {
      if (req.url === "/hold") release.push(() => res.end("held"));
      else res.end("green");
    });
    writeFileSync(
      file,
      `# a hand-written YAML config
version: "1"
node: { service: frontend, namespace: default }
listeners:
  - kind: outbound
    name: outbound
    port: 0
virtualHosts:
  - name: svc.default
    domains: [svc]
    routes:
      - name: svc
        namespace: default
        creationTimestamp: "2024-01-01T00:00:00Z"
        rules:
          - backendRefs: [{ backend: blue }]
backends:
  - name: blue
    service: blue
    namespace: default
    endpoints:
      - address: 127.0.0.1
        port: ${blue.port}
`,
    );

    const proxy = run(["--config", file, "--drain-ms", "5000"]);
    await expect.poll(() => proxy.logs.find((l) => l.msg === "listening"), { timeout: 15_000 }).toBeTruthy();
    const p = Number(proxy.logs.find((l) => l.msg === "listening")?.port);
    expect((await send({ port: p, host: "svc" })).headers["x-upstream"]).toBe("blue");

    // JSON is YAML too.
    writeFileSync(file, JSON.stringify(routeTo(green, "2")));
    await expect.poll(async () => (await send({ port: p, host: "svc" })).body, { timeout: 5000 }).toBe("green");

    writeFileSync(file, "version: [broken");
    await expect.poll(() => proxy.logs.some((l) => String(l.msg).startsWith("reload") && l.level === "warn"), { timeout: 5000 }).toBe(true);
    expect((await send({ port: p, host: "svc" })).body).toBe("green");

    const inflight = send({ port: p, host: "svc", path: "/hold" });
    await expect.poll(() => release.length).toBe(1);
    proxy.child.kill("SIGTERM");
    await expect.poll(() => proxy.logs.some((l) => l.msg === "draining")).toBe(true);
    release[0]?.();
    expect((await inflight).body).toBe("held");
    expect(await proxy.exited).toBe(0);
  });

  it("keeps a pushed config when the file's change from before the push is noticed after it (the agent pushes, then writes the file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-proxy-"));
    stack.defer(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "proxy.json");
    const blue = await stack.upstream("blue");
    const green = await stack.upstream("green");
    const withAdmin = (up: Upstream, version: string) => {
      const c = routeTo(up, version);
      return { ...c, listeners: [...(c.listeners ?? []), { kind: "admin" as const, name: "admin", port: 0 }] };
    };
    // As the agent's supervisor writes it: a temporary file renamed over the config.
    const persist = (c: unknown) => {
      writeFileSync(`${file}.tmp`, JSON.stringify(c));
      renameSync(`${file}.tmp`, file);
    };
    persist(withAdmin(blue, "1"));
    const proxy = run(["--config", file]);
    const bound = (name: string) => proxy.logs.find((l) => l.msg === "listening" && l.listener === name)?.port;
    await expect.poll(() => bound("admin") !== undefined && bound("outbound") !== undefined, { timeout: 15_000 }).toBe(true);
    const admin = Number(bound("admin"));
    const outbound = Number(bound("outbound"));
    const push = async (c: unknown) => {
      const res = await send({ port: admin, method: "PUT", path: "/config", headers: { "content-type": "application/json" }, body: JSON.stringify(c) });
      expect(res.status).toBe(200);
    };
    const fileEvents = () => proxy.logs.filter((l) => l.why === "file changed").length;

    await push(withAdmin(green, "2"));
    const before = fileEvents();
    persist(withAdmin(green, "2"));
    // The next push comes before the watcher (100 ms debounce) has read the file just written.
    await push(withAdmin(blue, "3"));
    await expect.poll(fileEvents, { timeout: 5000 }).toBeGreaterThan(before);
    const active = await send({ port: admin, path: "/config" });
    expect(active.json<{ version: string }>().version).toBe("3");
    expect((await send({ port: outbound, host: "svc" })).headers["x-upstream"]).toBe("blue");

    // The agent then writes the pushed config: applied, still version 3.
    persist(withAdmin(blue, "3"));
    await expect.poll(() => proxy.logs.some((l) => l.msg === "reloaded" && l.version === "3"), { timeout: 5000 }).toBe(true);
    expect((await send({ port: admin, path: "/config" })).json<{ version: string }>().version).toBe("3");
  });

  it.each([
    ["no --config", [], 2],
    ["a missing file", ["--config", "/nonexistent/proxy.yaml"], 1],
  ])("exits non-zero with %s", async (_name, args, code) => {
    const proxy = run(args);
    expect(await proxy.exited).toBe(code);
  });
});

describe("weft-proxy pull-mode flags", () => {
  it.each([
    [["--token-file", "/t"], "--token-file needs --config-url"],
    [["--config-url", "http://agent:15012", "--token-file", "/t", "--pod", "p", "--namespace", "n"], "--config-url must be https"],
    [["--config-url", "https://agent:15012", "--pod", "p", "--namespace", "n"], "--token-file is required with --config-url"],
    [["--config-url", "https://agent:15012", "--token-file", "/t", "--namespace", "n"], "--pod (or POD_NAME) is required"],
  ])("refuses %j, naming the flag", async (flags, message) => {
    const dir = mkdtempSync(join(tmpdir(), "weft-cli-pull-"));
    stack.defer(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "bootstrap.json");
    writeFileSync(file, JSON.stringify(config({ version: "bootstrap", listeners: [{ kind: "outbound", name: "outbound", port: 0 }] })));
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--config", file, ...flags], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, POD_NAME: "", POD_NAMESPACE: "" } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
