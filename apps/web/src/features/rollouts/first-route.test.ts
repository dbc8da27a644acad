import { HTTPRouteSchema, RolloutSchema } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { draftToDocument, initialDraft } from "./rollout-draft.ts";
import { firstRoute } from "./first-route.ts";

const rollout = (over: Partial<ReturnType<typeof initialDraft>> = {}) => RolloutSchema.parse(draftToDocument({ ...initialDraft("shop", "catalog", "v1", "v2"), ...over }));
const route = (name: string) =>
  HTTPRouteSchema.parse({ apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name, namespace: "shop" }, spec: { parentRefs: [{ kind: "Service", name: "catalog" }], rules: [{ backendRefs: [{ kind: "Service", name: "catalog" }] }] } });

describe("firstRoute", () => {
  it("creates the service's route with the first weight when it has none", () => {
    const first = firstRoute(rollout(), []);
    expect(first?.creates).toBe(true);
    expect(first?.step).toBe("step 1: 10 %");
    expect(first?.route.spec.rules[0]?.backendRefs?.map((b) => [b.version, b.weight])).toEqual([
      ["v1", 90],
      ["v2", 10],
    ]);
  });
  it("rewrites the existing route; a mirror phase comes first", () => {
    const first = firstRoute(rollout({ mirror: { enabled: true, percent: 50, iterations: 1 } }), [route("catalog")]);
    expect(first?.creates).toBe(false);
    expect(first?.step).toBe("step 1: mirror 50 % ×1");
    expect(first?.route.spec.rules[0]?.filters?.[0]).toMatchObject({ type: "RequestMirror", requestMirror: { percent: 50 } });
  });
  it("names the routes when the service has several and the rollout names none", () => {
    expect(firstRoute(rollout(), [route("a"), route("b")])?.ambiguous).toEqual(["a", "b"]);
  });
  it("a blue-green without preview matches moves nothing before promotion", () => {
    expect(firstRoute(rollout({ strategy: "blueGreen" }), [])?.step).toBe("step 2: promote (100 %)");
  });
});
