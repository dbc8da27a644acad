import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApplyResult } from "../core/apply-result.ts";
import { ConfigFileFollower } from "./config-file-follower.ts";

/** A proxy that records what it was given: `version` is the last applied document's. */
function fakeProxy(refuse: (doc: { version: string }) => boolean = () => false) {
  const applied: string[] = [];
  const proxy = {
    version: undefined as string | undefined,
    applied,
    async applyConfig(input: unknown): Promise<ApplyResult> {
      const doc = input as { version: string };
      if (refuse(doc)) return { ok: false, kind: "invalid", reason: "refused", issues: [] };
      applied.push(doc.version);
      proxy.version = doc.version;
      return { ok: true, version: doc.version };
    },
  };
  return proxy;
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("the config file follower (file mode)", () => {
  let dir: string;
  let file: string;
  /** As the agent writes it: a temporary file renamed over the config. */
  const write = (version: string) => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ version }));
    renameSync(`${file}.tmp`, file);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "weft-follower-"));
    file = join(dir, "proxy.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("applies each new file", async () => {
    const proxy = fakeProxy();
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("1");
    await follower.reload("file changed");
    write("2");
    await follower.reload("file changed");
    expect(proxy.applied).toEqual(["1", "2"]);
  });

  it("does not put back a file that was on disk when a push began (its event arriving after the push)", async () => {
    const proxy = fakeProxy();
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("2"); // the agent persisted the last push; the watcher's debounce is still running
    const settled = follower.pushStarting();
    await proxy.applyConfig({ version: "3" }).then(settled);
    await follower.reload("file changed"); // the late event for version 2
    expect(proxy.version).toBe("3");
    // The agent writes the pushed config: a new file, applied.
    write("3");
    await follower.reload("file changed");
    expect(proxy.applied).toEqual(["3", "3"]);
  });

  it("does not put back a file the agent persisted between two pushes", async () => {
    const proxy = fakeProxy();
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("1");
    const first = follower.pushStarting(); // a push over file 1 …
    await proxy.applyConfig({ version: "2" }).then(first);
    write("2"); // … persisted; then another push while the event for file 2 waits
    const second = follower.pushStarting();
    await proxy.applyConfig({ version: "3" }).then(second);
    await follower.reload("file changed");
    expect(proxy.version).toBe("3");
  });

  it("applies the file passed over when the push that superseded it is refused", async () => {
    const proxy = fakeProxy((doc) => doc.version === "bad");
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("4");
    const settled = follower.pushStarting();
    const pushed = proxy.applyConfig({ version: "bad" });
    await follower.reload("file changed"); // passed over: the push is under way
    expect(proxy.applied).toEqual([]);
    settled(await pushed);
    await expect.poll(() => proxy.version).toBe("4");
  });

  it("applies a superseded file when the operator asks (SIGHUP)", async () => {
    const proxy = fakeProxy();
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("1");
    const settled = follower.pushStarting();
    await proxy.applyConfig({ version: "2" }).then(settled);
    await follower.reload("SIGHUP", true);
    expect(proxy.version).toBe("1");
  });

  it("applies a file edited in place after a push", async () => {
    const proxy = fakeProxy();
    const follower = new ConfigFileFollower(file, () => proxy, silent);
    write("1");
    const settled = follower.pushStarting();
    await proxy.applyConfig({ version: "2" }).then(settled);
    writeFileSync(file, JSON.stringify({ version: "5" }));
    await follower.reload("file changed");
    expect(proxy.version).toBe("5");
  });

  it("keeps the active config when the file is missing or unparseable", async () => {
    const proxy = fakeProxy();
    const warnings: string[] = [];
    const follower = new ConfigFileFollower(file, () => proxy, { ...silent, warn: (msg) => void warnings.push(msg) });
    await follower.reload("file changed");
    writeFileSync(file, "version: [broken");
    await follower.reload("file changed");
    expect(proxy.applied).toEqual([]);
    expect(warnings).toEqual(["reload failed, keeping the active config", "reload failed, keeping the active config"]);
  });
});
