// Weighted choice with the random source passed in, so callers (and tests)
// decide where randomness comes from.

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/**
 * Picks one item with probability weight / total weight. Items of weight 0
 * are never picked; returns undefined when no item has a positive weight.
 */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: RandomSource): T | undefined {
  let total = 0;
  for (const item of items) if (item.weight > 0) total += item.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  let last: T | undefined;
  for (const item of items) {
    if (item.weight <= 0) continue;
    last = item;
    if (r < item.weight) return item;
    r -= item.weight;
  }
  // Only reachable through floating-point rounding when random() is close to 1.
  return last;
}
