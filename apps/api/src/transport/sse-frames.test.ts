import { ClusterConfigs, type ClusterCatalogInput, type Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { jsonPieces, pendingFrames, placeholderFor, sendAsJsonBytes, takeFrame } from "./sse-frames.ts";
import { installWholeChunkTextEncoderStream, WholeChunkTextEncoderStream } from "./text-encoder-stream.ts";
import { wireTransformer } from "./wire-transformer.ts";

const text = (pieces: Uint8Array[]) => Buffer.concat(pieces).toString("utf8");

function configs(version: bigint) {
  const resources: Resource[] = [
    { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "cart", namespace: "shop" }, spec: { targetRef: { name: "cart" }, loadBalancer: { algorithm: "LEAST_REQUEST" } } } as Resource,
  ];
  const cluster = (name: string, services: string[]): ClusterCatalogInput => ({
    name,
    region: null,
    gateway: { address: `${name}-gw.example`, port: 15443 },
    services: services.map((s) => ({ namespace: "shop", name: s, ports: [{ name: "http", port: 8080, protocol: "http" as const }], endpoints: [{ version: "v1", zone: "z-ü", healthy: true, sidecar: true, serviceAccount: s }] })),
  });
  return new ClusterConfigs({
    mesh: { trustDomain: "weft.local", mtlsMode: "STRICT" },
    trust: null,
    configVersion: version,
    catalogVersion: 3n,
    resources,
    createdAt: new Map([["TrafficPolicy/shop/cart", new Date(0)]]),
    clusters: [cluster("east", ["cart"]), cluster("west", ["checkout", "reviews"]), cluster("north", ["search"])],
  });
}

/** What tRPC's SSE producer hands the encoder for an event carrying `value`: its data line, then the id line. */
async function sseLine(value: object): Promise<Buffer> {
  const stream = new WholeChunkTextEncoderStream();
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const bytes of stream.readable) out.push(bytes);
  })();
  const writer = stream.writable.getWriter();
  await writer.write(`data: ${JSON.stringify(wireTransformer.serialize(value))}\n`);
  await writer.write("id: 1.2.abc\n");
  await writer.close();
  await reading;
  return Buffer.concat(out);
}

describe("jsonPieces", () => {
  it("writes exactly what JSON.stringify writes, sharing the bytes of objects two configs share", () => {
    const all = configs(7n);
    const cache = new WeakMap<object, Uint8Array>();
    const east = all.forCluster("east");
    const north = all.forCluster("north");
    expect(text(jsonPieces(east as unknown as Record<string, unknown>, cache))).toBe(JSON.stringify(east));
    expect(text(jsonPieces(north as unknown as Record<string, unknown>, cache))).toBe(JSON.stringify(north));
    // West's services are seen alike from east and north: one object, serialized once.
    const checkout = east.catalog.find((s) => s.name === "checkout")!;
    expect(north.catalog).toContain(checkout);
    expect(cache.get(checkout)).toBeDefined();
    expect(text([cache.get(checkout)!])).toBe(JSON.stringify(checkout));
  });

  it("leaves undefined properties out and writes undefined array elements as null, as JSON.stringify does", () => {
    const value = { a: undefined, b: [1, undefined, { c: "ü" }], d: null, e: "x" };
    expect(text(jsonPieces(value, new WeakMap()))).toBe(JSON.stringify(value));
    expect(text(jsonPieces({}, new WeakMap()))).toBe("{}");
  });
});

describe("prebuilt SSE lines", () => {
  installWholeChunkTextEncoderStream();

  it("sends a marked config as the bytes tRPC would have sent, the same bytes to every stream", async () => {
    const config = configs(8n).forCluster("east");
    let built = 0;
    const cache = new WeakMap<object, Uint8Array>();
    sendAsJsonBytes(config, () => (built++, jsonPieces(config as unknown as Record<string, unknown>, cache)));
    const expected = `data: ${JSON.stringify({ json: config })}\nid: 1.2.abc\n`;
    const [one, two] = await Promise.all([sseLine(config), sseLine(config)]);
    expect(one.toString("utf8")).toBe(expected);
    expect(two.equals(one)).toBe(true);
    expect(built).toBe(1);
    // The client side reads it back as the config (superjson, as the agent's link does).
    expect(wireTransformer.deserialize(JSON.parse(one.toString("utf8").split("\n")[0]!.slice(6)))).toEqual(JSON.parse(JSON.stringify(config)));
    expect(pendingFrames()).toBe(0);
  });

  it("serializes a changed version again", async () => {
    const cache = new WeakMap<object, Uint8Array>();
    const v1 = configs(9n).forCluster("west");
    const v2 = configs(10n).forCluster("west");
    for (const c of [v1, v2]) sendAsJsonBytes(c, () => jsonPieces(c as unknown as Record<string, unknown>, cache));
    const [a, b] = await Promise.all([sseLine(v1), sseLine(v2)]);
    expect(a.toString("utf8")).toContain('"configVersion":"9"');
    expect(b.toString("utf8")).toBe(`data: ${JSON.stringify({ json: v2 })}\nid: 1.2.abc\n`);
  });

  it("writes a large shared part as the same buffer in every cluster's line instead of copying it", () => {
    const all = configs(11n);
    const east = all.forCluster("east");
    const west = all.forCluster("west");
    const big = { ...east, resources: Array.from({ length: 400 }, (_, i) => ({ ...east.resources[0]!, metadata: { name: `r-${i}`, namespace: "shop" } })) };
    const bigWest = { ...west, resources: big.resources };
    const cache = new WeakMap<object, Uint8Array>();
    const resources = new TextEncoder().encode(JSON.stringify(big.resources));
    expect(resources.byteLength).toBeGreaterThan(32 * 1024);
    cache.set(big.resources, resources); // as the distribution does when it hashes the resources
    const lines = [big, bigWest].map((c) => {
      sendAsJsonBytes(c, () => jsonPieces(c as unknown as Record<string, unknown>, cache));
      return takeFrame(`data: ${JSON.stringify(placeholderFor(c))}\n`)!;
    });
    expect(lines[0]).toContain(resources);
    expect(lines[1]).toContain(resources);
    expect(text(lines[0]!)).toBe(`data: ${JSON.stringify({ json: big })}\n`);
    expect(text(lines[1]!)).toBe(`data: ${JSON.stringify({ json: bigWest })}\n`);
  });

  it("serializes unmarked values as usual and refuses a placeholder it did not issue", async () => {
    const plain = { hello: "world" };
    expect(placeholderFor(plain)).toBeUndefined();
    expect((await sseLine(plain)).toString("utf8")).toBe(`data: ${JSON.stringify(wireTransformer.serialize(plain))}\nid: 1.2.abc\n`);
    expect(() => takeFrame('data: "weft-raw-frame:999999"\n')).toThrow(/unknown or was already sent/);
  });
});
