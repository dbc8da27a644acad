import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@weft/api";

/** `useTRPC()` returns the typed options proxy: `useQuery(trpc.health.status.queryOptions())`. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
