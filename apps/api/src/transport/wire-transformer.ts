// The tRPC data transformer: superjson, with a fast path for values the
// server knows to be plain JSON already (strings, numbers, booleans, null,
// arrays and plain objects only). superjson walks every node of a value to
// find Dates, BigInts and the like; for a cluster config of a thousand
// federated services sent to twenty agents after every change, that walk was
// the largest cost of config fan-out (bench/sync). A value marked with
// `plainJson` is sent as `{ json: value }` — exactly what superjson itself
// produces when it finds nothing to annotate — so clients deserialize it with
// the unchanged superjson.
import superjson from "superjson";
import { placeholderFor } from "./sse-frames.ts";

const plain = new WeakSet<object>();

/**
 * Marks `value` as plain JSON so the transformer skips superjson's walk.
 * Only for values built from JSON-safe data (no Date, BigInt, Map, Set,
 * undefined-valued keys the client must see, or class instances).
 */
export function plainJson<T extends object>(value: T): T {
  plain.add(value);
  return value;
}

type Serialized = ReturnType<typeof superjson.serialize>;

export const wireTransformer = {
  serialize(value: unknown): Serialized {
    if (typeof value === "object" && value !== null) {
      // A config event whose bytes are prebuilt (sse-frames.ts): the manager's encoder swaps this string for them.
      const placeholder = placeholderFor(value);
      if (placeholder !== undefined) return placeholder as unknown as Serialized;
      if (plain.has(value)) return { json: value as Serialized["json"] };
    }
    return superjson.serialize(value);
  },
  deserialize<T>(payload: Serialized): T {
    return superjson.deserialize<T>(payload);
  },
};
