// A form model generated from a resource kind's JSON Schema (z.toJSONSchema
// of the mesh-model zod schema, so every label and help text comes from its
// `.describe()`). The renderer only walks this tree.

/** The subset of JSON Schema that z.toJSONSchema emits for Weft's schemas. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

interface Common {
  label: string;
  help?: string;
}

export type FormNode =
  | (Common & { type: "object"; fields: FormField[] })
  | (Common & { type: "array"; item: FormNode; minItems?: number; maxItems?: number })
  | (Common & { type: "record"; value: FormNode })
  | (Common & { type: "enum"; options: (string | number)[]; defaultValue?: string | number })
  | (Common & { type: "const"; value: unknown })
  | (Common & { type: "string"; pattern?: string; minLength?: number; maxLength?: number; defaultValue?: string })
  | (Common & { type: "number"; integer: boolean; minimum?: number; maximum?: number; defaultValue?: number })
  | (Common & { type: "boolean"; defaultValue?: boolean })
  | (Common & { type: "union"; discriminator: string; variants: { value: string; label: string; node: FormNode & { type: "object" } }[] })
  | (Common & { type: "unknown" });

export interface FormField {
  key: string;
  /** Required in the input form: the form shows it always; optional fields can be added and removed. */
  required: boolean;
  node: FormNode;
}

/** `backendRefs` → "Backend refs", `p99` → "P99", `httpStatus` → "HTTP status". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter(Boolean);
  return words
    .map((w, i) => {
      if (/^(http|grpc|url|tls|mtls|dns|ip|id|ttl|jwt|tcp)$/i.test(w)) return w.toUpperCase();
      return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w.toLowerCase();
    })
    .join(" ");
}

function resolve(schema: JsonSchema, root: JsonSchema, seen: ReadonlySet<string>): { schema: JsonSchema; seen: ReadonlySet<string> } {
  if (!schema.$ref) return { schema, seen };
  const name = schema.$ref.replace(/^#\/\$defs\//, "");
  if (seen.has(name)) return { schema: { description: schema.description ?? "" }, seen };
  const target = root.$defs?.[name] ?? {};
  const next = new Set(seen).add(name);
  return resolve({ ...target, ...(schema.description ? { description: schema.description } : {}) }, root, next);
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type;
}

/** The discriminating key of a oneOf/anyOf of objects: a property that is a const in every variant. */
function discriminatorOf(variants: JsonSchema[]): string | null {
  const first = variants[0];
  if (!first?.properties) return null;
  for (const key of Object.keys(first.properties)) {
    if (variants.every((v) => v.properties?.[key]?.const !== undefined && typeof v.properties[key].const === "string")) return key;
  }
  return null;
}

function withCommon(schema: JsonSchema, label: string): Common {
  return schema.description ? { label, help: schema.description } : { label };
}

/** Builds the form model of a JSON Schema; `label` names the root. */
export function buildFormModel(schema: JsonSchema, label = "Resource", root: JsonSchema = schema, seen: ReadonlySet<string> = new Set()): FormNode {
  const r = resolve(schema, root, seen);
  const s = r.schema;
  const common = withCommon(s, label);
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.length > 0) {
    const resolved = variants.map((v) => resolve(v, root, r.seen).schema);
    // Unions of literals (statusCode: 301 | 302 | ...) are enums.
    if (resolved.every((v) => v.const !== undefined && (typeof v.const === "string" || typeof v.const === "number"))) {
      const options = resolved.map((v) => v.const as string | number);
      return { ...common, type: "enum", options, ...(s.default !== undefined ? { defaultValue: s.default as string | number } : {}) };
    }
    const nonNull = resolved.filter((v) => v.type !== "null");
    if (nonNull.length === 1 && nonNull[0]) return buildFormModel({ ...nonNull[0], description: s.description ?? nonNull[0].description }, label, root, r.seen);
    const discriminator = discriminatorOf(resolved);
    if (discriminator) {
      return {
        ...common,
        type: "union",
        discriminator,
        variants: resolved.map((v) => {
          const value = v.properties?.[discriminator]?.const as string;
          const node = buildFormModel(v, label, root, r.seen) as FormNode & { type: "object" };
          return { value, label: v.properties?.[discriminator]?.description ? `${value} — ${v.properties[discriminator].description}` : value, node };
        }),
      };
    }
    return { ...common, type: "unknown" };
  }
  if (s.const !== undefined) return { ...common, type: "const", value: s.const };
  if (s.enum) return { ...common, type: "enum", options: s.enum as (string | number)[], ...(s.default !== undefined ? { defaultValue: s.default as string | number } : {}) };
  switch (typeOf(s)) {
    case "object": {
      if (s.properties) {
        const required = new Set(s.required ?? []);
        const fields = Object.entries(s.properties).map(([key, child]) => ({ key, required: required.has(key), node: buildFormModel(child, humanize(key), root, r.seen) }));
        return { ...common, type: "object", fields };
      }
      if (typeof s.additionalProperties === "object") return { ...common, type: "record", value: buildFormModel(s.additionalProperties, "Value", root, r.seen) };
      return { ...common, type: "object", fields: [] };
    }
    case "array":
      return {
        ...common,
        type: "array",
        item: buildFormModel(s.items ?? {}, singular(label), root, r.seen),
        ...(s.minItems !== undefined ? { minItems: s.minItems } : {}),
        ...(s.maxItems !== undefined ? { maxItems: s.maxItems } : {}),
      };
    case "string":
      return {
        ...common,
        type: "string",
        ...(s.pattern !== undefined ? { pattern: s.pattern } : {}),
        ...(s.minLength !== undefined ? { minLength: s.minLength } : {}),
        ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}),
        ...(typeof s.default === "string" ? { defaultValue: s.default } : {}),
      };
    case "integer":
    case "number": {
      const minimum = s.minimum ?? s.exclusiveMinimum;
      const maximum = s.maximum ?? s.exclusiveMaximum;
      return {
        ...common,
        type: "number",
        integer: typeOf(s) === "integer",
        ...(minimum !== undefined ? { minimum } : {}),
        ...(maximum !== undefined ? { maximum } : {}),
        ...(typeof s.default === "number" ? { defaultValue: s.default } : {}),
      };
    }
    case "boolean":
      return { ...common, type: "boolean", ...(typeof s.default === "boolean" ? { defaultValue: s.default } : {}) };
    default:
      return { ...common, type: "unknown" };
  }
}

function singular(label: string): string {
  if (/ies$/.test(label)) return label.replace(/ies$/, "y");
  if (/(ss|us)$/.test(label)) return label;
  return label.replace(/s$/, "");
}

/**
 * The value a new field or array item starts with: required fields filled
 * with their defaults (or the first option), optional ones left out.
 */
export function initialValue(node: FormNode): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const f of node.fields) if (f.required) out[f.key] = initialValue(f.node);
      return out;
    }
    case "array":
      return node.minItems ? Array.from({ length: node.minItems }, () => initialValue(node.item)) : [];
    case "record":
      return {};
    case "enum":
      return node.defaultValue ?? node.options[0];
    case "const":
      return node.value;
    case "string":
      return node.defaultValue ?? "";
    case "number":
      return node.defaultValue ?? node.minimum ?? 0;
    case "boolean":
      return node.defaultValue ?? false;
    case "union": {
      const first = node.variants[0];
      return first ? initialValue(first.node) : {};
    }
    default:
      return null;
  }
}

/** Every path a form shows for `value` (for placing errors; see FieldErrorIndex.unplaced). */
export function shownPaths(node: FormNode, value: unknown, path: (string | number)[] = [], out: Set<string> = new Set(), format: (p: (string | number)[]) => string): Set<string> {
  out.add(format(path));
  switch (node.type) {
    case "object":
      for (const f of node.fields) {
        const child = (value as Record<string, unknown> | null)?.[f.key];
        if (f.required || child !== undefined) shownPaths(f.node, child, [...path, f.key], out, format);
      }
      break;
    case "array":
      if (Array.isArray(value)) value.forEach((item, i) => shownPaths(node.item, item, [...path, i], out, format));
      break;
    case "record":
      if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) shownPaths(node.value, v, [...path, k], out, format);
      break;
    case "union": {
      const current = (value as Record<string, unknown> | null)?.[node.discriminator];
      const variant = node.variants.find((v) => v.value === current);
      if (variant) shownPaths(variant.node, value, path, out, format);
      break;
    }
    default:
      break;
  }
  return out;
}
