// The string fields of a procedure's input, read from its zod schema (through
// zod's JSON Schema export), so the sweep can put a NUL into each of them
// without a hand-written list that a new procedure would be missing from.
import { formatPath } from "@weft/mesh-model";
import { z } from "zod";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
};

const MAX_DEPTH = 12;

/** Paths (as property-key lists) of every field that takes a string, or may (zod custom types export as "anything"). */
export function stringFieldPaths(schema: unknown): PropertyKey[][] {
  let root: JsonSchema;
  try {
    root = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema;
  } catch {
    return [[]];
  }
  const out = new Map<string, PropertyKey[]>();
  const walk = (node: JsonSchema | boolean | undefined, path: PropertyKey[], depth: number): void => {
    if (node === undefined || typeof node === "boolean" || depth > MAX_DEPTH) return;
    if (node.$ref) {
      const name = node.$ref.replace(/^#\/\$defs\//, "");
      return walk(node.$ref === "#" ? root : root.$defs?.[name], path, depth + 1);
    }
    for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walk(branch, path, depth + 1);
    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    const composite = node.properties || node.items || node.prefixItems || node.anyOf || node.oneOf || node.allOf;
    const unknown = types.length === 0 && !composite && node.enum === undefined && node.const === undefined;
    if (types.includes("string") || unknown || node.enum?.some((v) => typeof v === "string") || typeof node.const === "string") out.set(formatPath(path), path);
    for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, [...path, key], depth + 1);
    if (node.additionalProperties && typeof node.additionalProperties === "object") walk(node.additionalProperties, [...path, "key"], depth + 1);
    if (node.items) walk(node.items, [...path, 0], depth + 1);
    node.prefixItems?.forEach((item, i) => walk(item, [...path, i], depth + 1));
  };
  walk(root, [], 0);
  return [...out.values()];
}

/** An input holding `value` at `path` and nothing else (the containers on the way are created). */
export function inputWith(path: readonly PropertyKey[], value: unknown): unknown {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i] as PropertyKey;
    out = typeof key === "number" ? [out] : { [key]: out };
  }
  return out;
}
