// Types of the telemetry feature, shared by its repository and service.
import type { EdgeEnd as ModelEdgeEnd } from "@weft/mesh-model";
import type { LatencySketchData } from "@weft/mesh-model/proxy-config";

export type EdgeEnd = ModelEdgeEnd;
/** The proxy's sketch wire form (mesh-model `proxy-config/latency-sketch.ts`). */
export type LatencySketchDataInput = LatencySketchData;
