// Golden files for the compiler: testdata/<case>/input.yaml → expected.proxy.json
// and expected.diagnostics.json. mesh-model's lint boundary lets its tests (not
// its source) read files for this. Refresh with:
//   UPDATE_GOLDEN=1 npx vitest run src/compiler/compiler-golden.test.ts
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ProxyConfigSchema } from "../proxy-config/proxy-config.schema.ts";
import { parseProxyConfigDocument } from "../proxy-config/proxy-config.validate.ts";
import type { CompileInputRaw } from "./compile-input.ts";
import { compileProxyConfig } from "./compile.ts";

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const cases = readdirSync(TESTDATA, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function readInput(name: string): CompileInputRaw {
  return parseProxyConfigDocument(readFileSync(join(TESTDATA, name, "input.yaml"), "utf8")) as CompileInputRaw;
}

function golden(name: string, file: string, actual: unknown): void {
  const path = join(TESTDATA, name, file);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE || !existsSync(path)) {
    writeFileSync(path, text);
    if (!UPDATE) throw new Error(`${path} did not exist and was written: review it, then run again`);
    return;
  }
  expect(text, `${file} differs; if the change is intended run UPDATE_GOLDEN=1 npx vitest run and review the diff`).toBe(readFileSync(path, "utf8"));
}

/** A deterministic shuffle (reversal plus rotation): input order must not matter. */
function reorder<T>(items: readonly T[] | undefined): T[] | undefined {
  if (!items) return undefined;
  const reversed = [...items].reverse();
  return [...reversed.slice(1), ...reversed.slice(0, 1)];
}

describe("compiler golden files", () => {
  it("has the cases the compiler is reviewed by", () => {
    expect(cases).toEqual(
      expect.arrayContaining(["canary-split", "default-route", "external-service", "header-path-match", "locality-failover-distribute", "locality-two-clusters", "security-strict", "traffic-policy", "unsupported-fields"]),
    );
  });

  it.each(cases)("%s", (name) => {
    const input = readInput(name);
    const { config, diagnostics } = compileProxyConfig(input);
    // The compiled config is exactly what the proxy accepts: parsing it again changes nothing.
    expect(ProxyConfigSchema.parse(config)).toEqual(config);
    golden(name, "expected.proxy.json", config);
    golden(name, "expected.diagnostics.json", diagnostics);

    const shuffled: CompileInputRaw = {
      ...input,
      ...(input.resources ? { resources: reorder(input.resources) } : {}),
      catalog: { services: reorder(input.catalog?.services)?.map((s) => ({ ...s, endpoints: reorder(s.endpoints) })) ?? [] },
    };
    const again = compileProxyConfig(shuffled);
    expect(again.config).toEqual(config);
    expect(again.diagnostics).toEqual(diagnostics);
  });
});
