import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@weft/api";

/** What each procedure returns, as the browser receives it (superjson keeps Dates and bigints). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** What each procedure takes. */
export type RouterInputs = inferRouterInputs<AppRouter>;

export type Me = NonNullable<RouterOutputs["auth"]["me"]>;
export type ChangeResultView = RouterOutputs["resources"]["applyDocuments"];
export type StoredResourceView = RouterOutputs["resources"]["list"][number];
export type RevisionRow = RouterOutputs["resources"]["history"][number];
export type ClusterRow = RouterOutputs["clusters"]["list"][number];
export type EdgeRow = RouterOutputs["telemetry"]["edges"]["edges"][number];
export type SeriesPoint = RouterOutputs["telemetry"]["serviceSeries"]["points"][number];
