// The agent runs its cluster's east-west gateway (universal mode): a real
// weft-proxy process on the routes compiled from the local catalog, updated
// in place when the file changes, and reported to the manager.
import { request } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as tlsConnect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../src/agent.ts";
import { MemoryLogger } from "../src/logger.ts";
import type { ProxyStatus } from "../src/supervision/proxy-supervisor.ts";
import { InMemoryReporter } from "../src/manager-link/in-memory-manager.ts";
import { freePort } from "./free-port.ts";
import { startApp, universalAgentConfig, type App } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A TLS handshake attempt with `servername`; resolves once the connection is gone, whatever happened. */
function knock(port: number, servername: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false });
    socket.on("error", () => undefined);
    socket.once("close", () => resolve());
  });
}

interface Status {
  gateway?: { state: string; routes?: number; version?: string };
}

describe("universal mode: the east-west gateway", () => {
  let dir: string;
  let file: string;
  let app: App;
  let appPort: number;
  let agent: RunningAgent | undefined;
  const ports: Record<string, number> = {};

  const universal = (versions: string[]) => `
gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${ports.gateway}, adminPort: ${ports.gatewayAdmin} }
services:
  - name: reviews
    instances:
${versions.map((v, i) => `      - { name: reviews-${v}, address: 127.0.0.1, port: ${appPort}, version: ${v}, proxy: { inboundPort: ${ports[`in${i}`]}, outboundPort: ${ports[`out${i}`]}, adminPort: ${ports[`admin${i}`]} } }`).join("\n")}
`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-gateway-"));
    file = join(dir, "universal.yaml");
    app = await startApp((req) => `reviews ${req.url}`);
    appPort = app.port;
    for (const name of ["gateway", "gatewayAdmin", "in0", "out0", "admin0", "in1", "out1", "admin1"]) ports[name] = await freePort();
    await writeFile(file, universal(["v1"]));
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    app.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the gateway on the local routes and pushes new routes to the same process", { timeout: 120_000 }, async () => {
    const config = universalAgentConfig({ dir, file, cluster: "west" });
    const logger = new MemoryLogger();
    agent = await startAgent(config, { logger, reporter: new InMemoryReporter(), backoff: { initialMs: 100, maxMs: 400 }, fileDebounceMs: 30 });
    const status = async () => JSON.parse(await get(agent!.adminPort, "/status")) as Status & { proxies: ProxyStatus[] };

    const first = await waitFor(async () => {
      const s = await status();
      return s.gateway?.state === "applied" && s;
    }, "the gateway to run", 60_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(logger.entries.slice(-5))}`);
    });
    expect(first.gateway).toMatchObject({ routes: 2 });
    const gatewayConfig = async () => JSON.parse(await get(ports.gatewayAdmin!, "/config")) as { version: string; config: { listeners: { kind: string; routes?: { sni: string }[] }[] } };
    const snis = async () => (await gatewayConfig()).config.listeners.find((l) => l.kind === "gateway")?.routes?.map((r) => r.sni);
    expect(await snis()).toEqual([`${appPort}.any.reviews.default.weft.internal`, `${appPort}.v1.reviews.default.weft.internal`]);

    // A known name is piped to reviews' proxy; an unknown one is closed and counted.
    await knock(ports.gateway!, `${appPort}.v1.reviews.default.weft.internal`);
    await knock(ports.gateway!, `${appPort}.v9.reviews.default.weft.internal`);
    await waitFor(async () => (await get(ports.gatewayAdmin!, "/metrics")).includes('weft_tcp_connections_total{listener="gateway",destination_service="reviews"'), "the routed connection to be counted", 10_000);
    expect(await get(ports.gatewayAdmin!, "/metrics")).toContain('weft_gateway_connections_refused_total{listener="gateway",reason="unknown_sni"} 1');

    // A new version in the file: new routes, pushed to the running gateway (no restart).
    await writeFile(file, universal(["v1", "v2"]));
    await waitFor(async () => (await snis())?.length === 3, "the gateway to route v2", 30_000);
    expect(await snis()).toContain(`${appPort}.v2.reviews.default.weft.internal`);
    // The same process took a second config: it was pushed, not restarted.
    const stats = JSON.parse(await get(ports.gatewayAdmin!, "/stats")) as { config: { applied: number } };
    expect(stats.config.applied).toBeGreaterThanOrEqual(2);
  });
});
