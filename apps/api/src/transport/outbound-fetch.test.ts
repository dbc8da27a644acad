// The egress policy at connect time, against a real server on loopback: the
// address judged is the address connected to, whether it came from the URL
// or from the lookup (a name that resolves to a refused address is refused
// however harmless the URL looks).
import { createServer, type Server } from "node:http";
import type { lookup, LookupAddress } from "node:dns";
import type { AddressInfo } from "node:net";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOOPBACK_ALLOWED, OutboundRefusedError, parseEgressAllow, PUBLIC_ONLY } from "./egress-policy.ts";
import { egressAgent, outboundClient, outboundRefusalOf } from "./outbound-fetch.ts";

describe("outbound fetch", () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A resolver that answers every name with `address` (what a rebinding DNS server does on its second answer), counting questions. */
  const resolverTo = (address: string) => {
    const asked: string[] = [];
    const resolve = ((hostname: string, _options: unknown, callback: (err: Error | null, addresses: LookupAddress[]) => void) => {
      asked.push(hostname);
      callback(null, [{ address, family: address.includes(":") ? 6 : 4 }]);
    }) as unknown as typeof lookup;
    return { asked, resolve };
  };

  it("refuses an address in the URL before connecting, saying why and what to set", async () => {
    const client = outboundClient(PUBLIC_ONLY);
    try {
      const before = hits;
      const err = await client.fetch(`http://127.0.0.1:${port}/hook`, { method: "POST" }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(outboundRefusalOf(err)?.message).toBe("refused to connect: 127.0.0.1 is a loopback address (it is the manager's own host); add a CIDR covering 127.0.0.1 to WEFT_OUTBOUND_ALLOW to allow it");
      expect(hits).toBe(before);
    } finally {
      await client.close();
    }
  });

  it("connects where the policy allows", async () => {
    const client = outboundClient(parseEgressAllow(LOOPBACK_ALLOWED));
    try {
      const res = await client.fetch(`http://127.0.0.1:${port}/hook`, { method: "POST", body: "{}" });
      expect(res.status).toBe(204);
    } finally {
      await client.close();
    }
  });

  it("judges the address a name resolves to at connect time, and connects to exactly that address", async () => {
    // A name that looks public in the URL but resolves to loopback: refused, nothing reaches the server.
    const rebinding = resolverTo("127.0.0.1");
    const refusing = egressAgent(PUBLIC_ONLY, rebinding.resolve);
    const before = hits;
    const err = await undiciFetch(`http://hooks.example.test:${port}/hook`, { method: "POST", dispatcher: refusing }).then(
      () => null,
      (e: unknown) => e,
    );
    const refusal = outboundRefusalOf(err);
    expect(refusal).toBeInstanceOf(OutboundRefusedError);
    expect(refusal?.message).toContain("hooks.example.test resolves to 127.0.0.1, which is a loopback address");
    expect(hits).toBe(before);
    expect(rebinding.asked).toEqual(["hooks.example.test"]);
    await refusing.close();
    // The same name allowed by name: the connection goes to the address the guarded lookup judged (one question, one answer).
    const allowed = resolverTo("127.0.0.1");
    const agent = egressAgent(parseEgressAllow("hooks.example.test"), allowed.resolve);
    const res = await undiciFetch(`http://hooks.example.test:${port}/hook`, { method: "POST", dispatcher: agent });
    expect(res.status).toBe(204);
    expect(hits).toBe(before + 1);
    expect(allowed.asked).toEqual(["hooks.example.test"]);
    await agent.close();
  });

  it("refuses a name resolving to the metadata address even when the name is allowed", async () => {
    const metadata = resolverTo("169.254.169.254");
    const agent = egressAgent(parseEgressAllow("hooks.example.test"), metadata.resolve);
    const err = await undiciFetch("http://hooks.example.test/latest/meta-data", { dispatcher: agent }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(outboundRefusalOf(err)?.message).toContain("is a link-local address (cloud metadata services answer there)");
    await agent.close();
  });
});
