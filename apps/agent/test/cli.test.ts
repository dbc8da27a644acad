import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helpText, runCli } from "../src/cli.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "weft-agent-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe("weft-agent configuration", () => {
  it("prints help listing every flag with its variable and default", async () => {
    const outcome = await runCli(["--help"], {});
    expect(outcome).toEqual({ action: "help", output: helpText() });
    expect(helpText()).toMatch(/--manager\s+WEFT_MANAGER_URL\s+URL of the Weft manager API\./);
    expect(helpText()).toMatch(/--admin-port\s+WEFT_AGENT_ADMIN_PORT\s+.*\(default: 15000\)/);
  });

  it("takes flags over environment over file over defaults", async () => {
    const config = await file("agent.yaml", "manager: http://file:4000\ncluster: from-file\nmode: kubernetes\nadminPort: 15001\n");
    const outcome = await runCli(["--config", config, "--cluster", "from-flag"], { WEFT_MANAGER_URL: "https://env.example:443", WEFT_CLUSTER: "from-env" });
    expect(outcome.action).toBe("run");
    if (outcome.action !== "run") return;
    expect(outcome.config).toEqual({
      manager: "https://env.example:443",
      cluster: "from-flag",
      mode: "kubernetes",
      adminPort: 15001,
      universalFile: "weft-universal.yaml",
      stateDir: ".weft/agent",
      logLevel: "info",
      fullResyncSeconds: 300,
      telemetryIntervalSeconds: 10,
      proxyImage: "ghcr.io/weft-mesh/weft-proxy:0.1.0",
      webhookPort: 9443,
    });
  });

  it.each([
    [["--admin-port", "abc"], { WEFT_MANAGER_URL: "http://m" }, "--admin-port: must be a port number"],
    [[], { WEFT_MANAGER_URL: "ftp://m" }, "WEFT_MANAGER_URL: must be an http(s) URL of the manager"],
    [[], {}, "--manager: is required (set --manager or WEFT_MANAGER_URL)"],
    [["--cluster", "East_1"], { WEFT_MANAGER_URL: "http://m" }, "--cluster: must be a DNS label"],
    [["--mode", "nomad"], { WEFT_MANAGER_URL: "http://m" }, "--mode:"],
  ])("names the bad setting: %o %o", async (argv, env, message) => {
    const outcome = await runCli(argv, env);
    expect(outcome.action).toBe("error");
    if (outcome.action === "error") {
      expect(outcome.exitCode).toBe(2);
      expect(outcome.output).toContain(message);
    }
  });

  it("names the file and key of a bad or unknown setting in the config file", async () => {
    const config = await file("bad.yaml", "manager: http://m\nadminPort: -1\nclustr: east\n");
    const outcome = await runCli(["--config", config], {});
    expect(outcome.action).toBe("error");
    if (outcome.action !== "error") return;
    expect(outcome.output).toContain(`${config}: clustr: unknown setting`);
    expect(outcome.output).toContain(`${config}: adminPort: must be between 0 and 65535`);
  });

  it("reports malformed YAML and a missing file without crashing", async () => {
    const broken = await file("broken.yaml", "manager: [unclosed\n");
    const bad = await runCli(["--config", broken], {});
    expect(bad.action === "error" && bad.output).toContain(`${broken}: is not valid YAML or JSON`);
    const missing = await runCli(["--config", join(dir, "absent.yaml")], {});
    expect(missing.action === "error" && missing.output).toContain("--config: cannot read");
  });

  it("masks the join token when printing the configuration", async () => {
    const outcome = await runCli(["--print-config", "--join-token", "wjt_supersecretvalue123"], { WEFT_MANAGER_URL: "http://m" });
    expect(outcome.action).toBe("print-config");
    if (outcome.action !== "print-config") return;
    expect(outcome.output).toContain('joinToken: "***"');
    expect(outcome.output).not.toContain("supersecret");
  });

  it("refuses unknown flags", async () => {
    const outcome = await runCli(["--bogus"], {});
    expect(outcome).toMatchObject({ action: "error", exitCode: 2 });
  });
});
