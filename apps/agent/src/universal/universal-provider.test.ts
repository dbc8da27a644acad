import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/wait-for.ts";
import { Catalog } from "../discovery/catalog.ts";
import { MemoryLogger } from "../logger.ts";
import { localInstances, universalToCatalog } from "./universal-catalog.ts";
import { parseUniversalFile, UniversalFileError, UniversalFileProvider } from "./universal-provider.ts";

const GOOD = `
services:
  - name: reviews
    instances:
      - { address: 127.0.0.1, port: 9080, version: v1, serviceAccount: reviews, zone: z1 }
      - { name: reviews-v2, address: 127.0.0.2, port: 9080, version: v2, serviceAccount: reviews, zone: z2, ready: false }
  - name: ratings
    namespace: shop
    protocol: grpc
    instances:
      - { address: 10.0.0.7, port: 9090, proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15100 } }
`;

describe("parseUniversalFile", () => {
  it("maps services and instances onto the catalog and finds the local ones", () => {
    const file = parseUniversalFile("u.yaml", GOOD);
    expect(file.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(["default/reviews", "shop/ratings"]);
    expect(localInstances(file)).toEqual([
      expect.objectContaining({ id: "shop/ratings-0", service: "ratings", protocol: "grpc", serviceAccount: "default", proxy: expect.objectContaining({ inboundPort: 15006 }) }),
    ]);
  });

  it.each([
    ["services:\n  - name: a\n  - name: b\n    instances:\n      - { address: x, port: 70000 }\n", "services[1].instances[0].port", "must be between 1 and 65535"],
    ["services:\n  - name: a\n    instances:\n      - { address: x, port: '80' }\n", "services[0].instances[0].port", "must be a port number"],
    ["services:\n  - name: Bad_Name\n", "services[0].name", "must be a DNS label"],
    ["services:\n  - name: a\n  - name: a\n", "services[1].name", "duplicate service default/a"],
    ["services:\n  - name: a\n    instances:\n      - { address: x, port: 1, protocol: udp }\n", "services[0].instances[0].protocol", "Invalid option"],
    ["services:\n  - name: a\n    instances:\n      - { address: x, port: 1, prot: http }\n", "services[0].instances[0]", "Unrecognized key"],
    [
      "services:\n  - name: a\n    instances:\n      - { address: x, port: 1, proxy: { inboundPort: 1, outboundPort: 2, adminPort: 3 } }\n      - { address: y, port: 1, proxy: { inboundPort: 4, outboundPort: 2, adminPort: 5 } }\n",
      "services[0].instances[1].proxy.outboundPort",
      "port 2 is also used by services[0].instances[0].proxy.outboundPort",
    ],
    ["services:\n  - name: a\n    instances:\n      - { address: x, port: 1, servicePort: 0 }\n", "services[0].instances[0].servicePort", "must be between 1 and 65535"],
    // One service port, two protocols: the second instance that says so is refused, at the field that gave the port.
    [
      "services:\n  - name: a\n    instances:\n      - { address: x, port: 1, servicePort: 80 }\n      - { address: x, port: 2, servicePort: 80, protocol: grpc }\n",
      "services[0].instances[1].servicePort",
      "service port 80 of default/a is grpc here but http in services[0].instances[0]",
    ],
    [
      "services:\n  - name: a\n    protocol: tcp\n    instances:\n      - { address: x, port: 1, servicePort: 80, protocol: http }\n      - { address: y, port: 80 }\n",
      "services[0].instances[1].port",
      "service port 80 of default/a is tcp here but http in services[0].instances[0]",
    ],
    ["services: [unclosed\n", "(document)", "is not valid YAML"],
  ])("names the file, the path and the reason: %#", (text, path, reason) => {
    let error: unknown;
    try {
      parseUniversalFile("/etc/weft/u.yaml", text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UniversalFileError);
    const issue = (error as UniversalFileError).issues.find((i) => i.path === path);
    expect(issue?.message).toContain(reason);
    expect((error as UniversalFileError).message).toContain(`/etc/weft/u.yaml: ${path}: `);
  });

  it("reports service ports as the service's ports and keeps each endpoint's own target port", () => {
    const file = parseUniversalFile(
      "u.yaml",
      "services:\n  - name: catalog\n    namespace: shop\n    instances:\n      - { name: v1, address: 127.0.0.1, port: 20020, servicePort: 8080, proxy: { inboundPort: 20021, outboundPort: 20022, adminPort: 20023 } }\n      - { name: v2, address: 127.0.0.1, port: 20030, servicePort: 8080 }\n      - { name: admin, address: 127.0.0.1, port: 9901 }\n",
    );
    const snapshot = universalToCatalog(file);
    expect(snapshot.services).toEqual([{ name: "catalog", namespace: "shop", labels: {}, ports: [{ port: 8080, protocol: "http" }, { port: 9901, protocol: "http" }] }]);
    expect(snapshot.endpoints.map((e) => `${e.workload} ${e.address}:${e.port}`)).toEqual(["v1 127.0.0.1:20020", "v2 127.0.0.1:20030", "admin 127.0.0.1:9901"]);
    expect(localInstances(file)).toEqual([expect.objectContaining({ id: "shop/v1", port: 20020, servicePort: 8080 })]);
  });

  it("collects every problem, not just the first", () => {
    expect(() => parseUniversalFile("u.yaml", "services:\n  - name: A\n    instances:\n      - { address: '', port: 0 }\n")).toThrow(
      /services\[0\]\.name[\s\S]*services\[0\]\.instances\[0\]\.address[\s\S]*services\[0\]\.instances\[0\]\.port/,
    );
  });
});

describe("UniversalFileProvider", () => {
  let dir: string;
  let path: string;
  let provider: UniversalFileProvider;
  const catalog = new Catalog();
  const logger = new MemoryLogger();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-universal-"));
    path = join(dir, "universal.yaml");
    await writeFile(path, GOOD);
    provider = new UniversalFileProvider(path, { logger, debounceMs: 20, rewatchMs: 50 });
    await provider.start((s) => catalog.replace(s));
  });
  afterEach(async () => {
    await provider.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoints = () => catalog.snapshot.endpoints.map((e) => `${e.namespace}/${e.service}@${e.address}:${e.port}${e.ready ? "" : " (not ready)"}`);

  it("follows additions, modifications and removals in the file", async () => {
    expect(endpoints()).toEqual(["default/reviews@127.0.0.1:9080", "default/reviews@127.0.0.2:9080 (not ready)", "shop/ratings@10.0.0.7:9090"]);
    expect(catalog.snapshot.workloads.find((w) => w.name === "reviews-v2")).toMatchObject({ serviceAccount: "reviews", version: "v2", zone: "z2" });

    // add a service
    await writeFile(path, `${GOOD}  - name: details\n    instances:\n      - { address: 127.0.0.9, port: 9081 }\n`);
    await waitFor(() => catalog.snapshot.services.some((s) => s.name === "details"), "details to appear");

    // modify: v2 becomes ready
    await writeFile(path, GOOD.replace("ready: false", "ready: true"));
    await waitFor(() => catalog.snapshot.endpoints.every((e) => e.ready), "v2 to turn ready");
    expect(catalog.snapshot.services.some((s) => s.name === "details")).toBe(false);

    // remove a service
    await writeFile(path, GOOD.replace(/ {2}- name: ratings[\s\S]*$/, ""));
    await waitFor(() => !catalog.snapshot.services.some((s) => s.name === "ratings"), "ratings to go away");
    expect(endpoints()).toEqual(["default/reviews@127.0.0.1:9080", "default/reviews@127.0.0.2:9080 (not ready)"]);
  });

  it("keeps the last good catalog on an invalid edit, reports the error, and recovers", async () => {
    const before = catalog.snapshot;
    const revision = catalog.revision;
    await writeFile(path, GOOD.replace("port: 9090", "port: 99999"));
    await waitFor(() => provider.status().lastError, "the error to be reported");
    expect(provider.status().lastError).toBe(`${path}: services[1].instances[0].port: must be between 1 and 65535`);
    expect(catalog.snapshot).toBe(before);
    expect(catalog.revision).toBe(revision);
    expect(logger.entries.some((e) => e.level === "error" && e.msg.includes("keeping the last good catalog"))).toBe(true);

    await writeFile(path, GOOD.replace("port: 9090", "port: 9091"));
    await waitFor(() => catalog.snapshot.endpoints.some((e) => e.port === 9091), "the fixed file to load");
    expect(provider.status().lastError).toBeUndefined();
  });

  it("follows an atomic replace by rename, as editors and ConfigMaps do", async () => {
    for (const port of [7001, 7002]) {
      const tmp = join(dir, `.universal.yaml.${port}.tmp`);
      await writeFile(tmp, GOOD.replace("port: 9090", `port: ${port}`));
      await rename(tmp, path);
      await waitFor(() => catalog.snapshot.endpoints.some((e) => e.port === port), `port ${port} after rename`);
    }
  });

  it("reports a deleted file and picks it up again when it comes back", async () => {
    await rm(path);
    await waitFor(() => provider.status().lastError?.includes("cannot be read: ENOENT"), "the missing file to be reported");
    expect(catalog.snapshot.services).toHaveLength(2);
    await writeFile(path, GOOD.replace("name: ratings", "name: stars"));
    await waitFor(() => catalog.snapshot.services.some((s) => s.name === "stars"), "the recreated file");
  });
});
