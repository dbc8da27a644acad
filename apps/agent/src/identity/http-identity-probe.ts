// Which identity material a local proxy runs, from its admin GET /stats.
import { z } from "zod";
import type { ProxyIdentityProbe } from "./identity-controller.ts";

const StatsIdentitySchema = z.object({
  identity: z
    .object({
      trustBundleFingerprint: z.string().optional(),
      serial: z.string().optional(),
    })
    .nullable()
    .optional(),
});

/** GET http://127.0.0.1:<adminPort>/stats → its `identity` (null when it runs none or answers something else). */
export const httpIdentityProbe: ProxyIdentityProbe = async (adminPort) => {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /stats answered ${res.status}`);
  const parsed = StatsIdentitySchema.safeParse(await res.json());
  return parsed.success ? (parsed.data.identity ?? null) : null;
};
