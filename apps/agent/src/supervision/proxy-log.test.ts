import { appendFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogTail } from "./proxy-log.ts";

describe("LogTail", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "weft-log-tail-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("delivers whole lines appended after its start, and caps the file by copying it to .1 and truncating it", async () => {
    const path = join(dir, "shop--web-1.log");
    await appendFile(path, "before the start\n");
    const lines: string[] = [];
    const tail = new LogTail(path, (await stat(path)).size, (l) => lines.push(l), { maxBytes: 64 });
    await appendFile(path, '{"msg":"one"}\n{"msg":"tw');
    await tail.poll();
    expect(lines).toEqual(['{"msg":"one"}']);
    await appendFile(path, 'o"}\n' + "x".repeat(60) + "\n");
    await tail.poll();
    expect(lines).toEqual(['{"msg":"one"}', '{"msg":"two"}', "x".repeat(60)]);
    // Past 64 bytes: rotated, and the proxy's next lines (appended at the new end) still arrive.
    expect((await stat(path)).size).toBe(0);
    expect(await readFile(`${path}.1`, "utf8")).toContain('{"msg":"two"}');
    await appendFile(path, '{"msg":"three"}\n');
    await tail.stop();
    expect(lines.at(-1)).toBe('{"msg":"three"}');
  });
});
