import { connect, createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseConnectionUrl } from "../src/connection-url.ts";
import { openDatabase } from "../src/database.ts";
import { DatabaseError } from "../src/errors.ts";

/**
 * A loopback port that refuses connections and keeps refusing them: below the
 * ephemeral range, so no test's `listen(0)` running beside this one can be
 * handed it (a bound-then-released port can be, and the proxy's tests failed on
 * exactly that).
 */
async function closedPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(false)));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
    });
    if (refused) return port;
  }
  throw new Error("closedPort: every port below 1024 on 127.0.0.1 accepts connections");
}

describe("DATABASE_URL errors", () => {
  it.each([
    ["not a url", /^DATABASE_URL: is not a valid URL/],
    ["mysql://root@localhost:3306/weft", /^DATABASE_URL: uses the scheme "mysql"/],
    ["postgresql://localhost:5432", /^DATABASE_URL: names no database/],
  ])("%s is refused before connecting", (url, message) => {
    expect(() => parseConnectionUrl(url)).toThrow(message);
  });

  it("an invalid URL stops openDatabase with the variable named", async () => {
    const err = await openDatabase({ databaseUrl: "http://example", home: "/nonexistent" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).code).toBe("INVALID_URL");
    expect((err as Error).message).toMatch(/^DATABASE_URL: uses the scheme "http"/);
  });

  it("an unreachable server is named with its address, without the password", async () => {
    const port = await closedPort();
    const err = await openDatabase({ databaseUrl: `postgresql://weft:s3cret-pw@127.0.0.1:${port}/weft`, home: "/nonexistent" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).code).toBe("UNREACHABLE");
    expect((err as Error).message).toBe(`DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED). Is the server running and listening there?`);
    expect((err as Error).message).not.toContain("s3cret-pw");
  });

  it("a server that accepts but never answers times out with a clear error", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { probeDatabase } = await import("../src/probe.ts");
      const err = await probeDatabase(parseConnectionUrl(`postgresql://u@127.0.0.1:${port}/db`), "DATABASE_URL", 500).catch((e: unknown) => e);
      expect((err as DatabaseError).code).toBe("UNREACHABLE");
      expect((err as Error).message).toMatch(/^DATABASE_URL: no answer from PostgreSQL at 127\.0\.0\.1:\d+ within the connect timeout\./);
    } finally {
      silent.close();
    }
  });

  it("keeps the password out of the redacted form", () => {
    expect(parseConnectionUrl("postgresql://weft:hunter2@db.internal:6543/mesh").redacted).toBe("postgresql://weft:***@db.internal:6543/mesh");
  });
});
