import { KINDS, type Kind } from "@weft/mesh-model";
import { UsageError } from "./context.ts";

/** Resolves `httproute`, `HTTPRoutes`, `trafficpolicies`... to a kind. */
export function resolveKind(text: string | undefined): Kind {
  if (!text) throw new UsageError("missing <kind>");
  const wanted = text.toLowerCase();
  const kind = KINDS.find((k) => {
    const lower = k.toLowerCase();
    return wanted === lower || wanted === `${lower}s` || wanted === `${lower}es` || (lower.endsWith("y") && wanted === `${lower.slice(0, -1)}ies`);
  });
  if (!kind) throw new UsageError(`unknown kind "${text}"; expected one of ${KINDS.join(", ")}`);
  return kind;
}

/** What completion offers for `<kind>`: every kind, lowercase, as kubectl users type them. */
export const KIND_WORDS: readonly string[] = KINDS.map((k) => k.toLowerCase());

/** `kind/namespace/name`, the way change lines and findings name a resource. */
export function refName(ref: { kind: string; namespace?: string | undefined; name: string }): string {
  return [ref.kind.toLowerCase(), ref.namespace, ref.name].filter(Boolean).join("/");
}
