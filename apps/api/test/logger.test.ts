import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";

describe("logger", () => {
  it.each([
    [{ password: "hunter2-secret" }],
    [{ user: { password: "hunter2-secret" } }],
    [{ token: "hunter2-secret" }],
    [{ req: { headers: { authorization: "Bearer hunter2-secret", cookie: "weft_session=hunter2-secret" } } }],
    [{ databaseUrl: "postgresql://u:hunter2-secret@h/db" }],
  ])("never writes secrets: %o", (fields) => {
    const lines: string[] = [];
    const log = createLogger("info", new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }));
    log.info(fields, "event");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("hunter2-secret");
    expect(lines[0]).toContain("[redacted]");
  });
});
