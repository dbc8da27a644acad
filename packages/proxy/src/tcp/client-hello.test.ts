import { createServer, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_CLIENT_HELLO, readClientHello } from "./client-hello.ts";

/** The first TLS record a real node:tls client sends (its ClientHello), captured on a plain TCP server. */
async function captureHello(options: ConnectionOptions): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      server.once("connection", (socket: Socket) => {
        let data = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => {
          data = Buffer.concat([data, chunk]);
          if (data.length >= 5 && data.length >= 5 + data.readUInt16BE(3)) {
            socket.destroy();
            resolve(data.subarray(0, 5 + data.readUInt16BE(3)));
          }
        });
      });
      const client = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
      client.on("error", () => undefined);
      server.once("error", reject);
    });
  } finally {
    server.close();
  }
}

/** Re-frames one handshake record as several records of at most `size` bytes each. */
function splitRecords(record: Buffer, size: number): Buffer {
  const body = record.subarray(5);
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    out.push(header, part);
  }
  return Buffer.concat(out);
}

/** A deterministic pseudo-random source, so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let withSni: Buffer;
let tls12: Buffer;
let withoutSni: Buffer;
const SNI = "9080.v2.reviews.shop.weft.internal";

beforeAll(async () => {
  [withSni, tls12, withoutSni] = await Promise.all([
    captureHello({ servername: SNI, ALPNProtocols: ["h2", "http/1.1"] }),
    captureHello({ servername: "Mixed.Case.example", maxVersion: "TLSv1.2" }),
    // node:tls sends no server_name for an IP literal host.
    captureHello({}),
  ]);
});

describe("reading the server name of a ClientHello", () => {
  it("reads the name a real TLS 1.3 and TLS 1.2 client sends, in lower case", () => {
    expect(readClientHello(withSni)).toEqual({ kind: "complete", serverName: SNI });
    expect(readClientHello(tls12)).toEqual({ kind: "complete", serverName: "mixed.case.example" });
  });

  it("reports a ClientHello without a server name as complete with none", () => {
    expect(readClientHello(withoutSni)).toEqual({ kind: "complete", serverName: undefined });
  });

  it("asks for more bytes at every truncation point of a valid hello, never calling it malformed", () => {
    for (let n = 0; n < withSni.length; n++) expect(readClientHello(withSni.subarray(0, n)), `prefix ${n}`).toEqual({ kind: "incomplete" });
  });

  it.each([1, 3, 4, 7, 100])("reassembles a hello split into records of %i bytes", (size) => {
    const split = splitRecords(withSni, size);
    expect(readClientHello(split)).toEqual({ kind: "complete", serverName: SNI });
    for (let n = 0; n < split.length; n += Math.max(1, Math.floor(split.length / 50))) expect(readClientHello(split.subarray(0, n)).kind).toBe("incomplete");
  });

  it.each([
    ["plain HTTP", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["the HTTP/2 preface", Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")],
    ["an alert record", Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28])],
    ["a zero-length record", Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])],
    ["an oversized record", Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])],
    ["an SSLv2-style version", Buffer.from([0x16, 0x02, 0x00, 0x00, 0x04, 0x01, 0, 0, 0])],
    ["a ServerHello", Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])],
    ["an empty ClientHello", Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00])],
  ])("calls %s malformed", (_name, bytes) => {
    expect(readClientHello(bytes).kind).toBe("malformed");
  });

  it("refuses a declared handshake length above the limit without waiting for it", () => {
    const huge = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x7f, 0xff, 0xff]);
    expect(readClientHello(huge)).toMatchObject({ kind: "malformed" });
    expect(MAX_CLIENT_HELLO).toBeLessThan(0x7fffff);
  });

  it("refuses a hello whose record is followed by a non-handshake record before it is complete", () => {
    const split = splitRecords(withSni, 64);
    const corrupted = Buffer.from(split);
    corrupted[5 + 64] = 0x17; // the second record becomes application data
    expect(readClientHello(corrupted).kind).toBe("malformed");
  });

  it("never throws on mutated or random input (seeded fuzz)", () => {
    const random = rng(0xc0ffee);
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const input = Buffer.from(random() < 0.5 ? withSni : tls12);
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? input.subarray(0, Math.floor(random() * input.length)) : input;
      const verdict = readClientHello(cut);
      verdicts.set(verdict.kind, (verdicts.get(verdict.kind) ?? 0) + 1);
      if (verdict.kind === "complete" && verdict.serverName !== undefined) expect(verdict.serverName).toMatch(/^[a-z0-9._-]+$/);
    }
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      if (random() < 0.5 && bytes.length > 2) {
        bytes[0] = 0x16;
        bytes[1] = 0x03;
      }
      expect(["incomplete", "complete", "malformed"]).toContain(readClientHello(bytes).kind);
    }
    // Both outcomes happen: the fuzz reaches the extension parser, not just the record header.
    expect(verdicts.get("malformed")).toBeGreaterThan(0);
    expect(verdicts.get("complete")).toBeGreaterThan(0);
  });
});
