import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxyConfigParseError, validateProxyConfig } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "./config-file.ts";

describe("loadConfigFile", () => {
  it("loads the documented example, which validates", async () => {
    const result = validateProxyConfig(await loadConfigFile(join(import.meta.dirname, "../../examples/proxy.yaml")));
    expect(result.ok ? result.config.version : result.issues).toBe("example-1");
  });

  it("throws a typed error on a malformed document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-config-"));
    try {
      writeFileSync(join(dir, "bad.yaml"), "a: [1, 2");
      await expect(loadConfigFile(join(dir, "bad.yaml"))).rejects.toBeInstanceOf(ProxyConfigParseError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
