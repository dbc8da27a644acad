// The advisory lock key of every leader-elected controller, in one list so no
// two controllers share one (a shared key would make them elect one leader
// between them). Keys are short ASCII names read as a number.

/** The advisory lock key for a name of at most 7 ASCII characters ("weftrot" → 0x77656674726f74). */
export function controllerLockKey(name: string): bigint {
  if (!/^[\x20-\x7e]{1,7}$/.test(name)) throw new Error(`a controller lock name is 1 to 7 printable ASCII characters, got "${name}"`);
  return [...name].reduce((key, c) => (key << 8n) | BigInt(c.charCodeAt(0)), 0n);
}

/** One key per controller. */
export const CONTROLLER_LOCKS = {
  /** The root rotation controller (features/identity/rotation.controller.ts). */
  rotation: controllerLockKey("weftrot"),
  /** The rollup downsampler (features/metrics/rollup-downsampler.ts). */
  downsampler: controllerLockKey("weftdwn"),
  /** The SLO evaluator (features/slo/slo.controller.ts). */
  slo: controllerLockKey("weftslo"),
  /** The rollout controller (features/rollouts/rollout.controller.ts). */
  rollouts: controllerLockKey("weftrol"),
  /** The notification sender (features/notifications/delivery.controller.ts). */
  notifications: controllerLockKey("weftntf"),
} as const satisfies Record<string, bigint>;
