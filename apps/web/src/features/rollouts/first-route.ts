// The review step's route preview: the HTTPRoute the rollout will write at
// its first step that moves traffic (first wave only; other waves stay on
// stable), computed with the controller's own transformation, so the manager's
// dry run of it shows the diff against today's route.
import { type HTTPRoute, ownedRoute, planOf, type Rollout, rolloutRoute, type Traffic, trafficAt, describeStep } from "@weft/mesh-model";

export interface FirstRoute {
  /** The route as the rollout will write it. */
  route: HTTPRoute;
  /** The route does not exist yet: the rollout creates it. */
  creates: boolean;
  /** "step 1: 10 %" — which step writes it. */
  step: string;
  /** Several routes attach to the service and the rollout names none: the manager will refuse it. */
  ambiguous: string[];
}

/** The first step whose traffic differs from all-stable, and that traffic. */
function firstMove(rollout: Rollout): { index: number; traffic: Traffic } | null {
  const plan = planOf(rollout.spec);
  const preview = (rollout.spec.strategy.blueGreen?.previewMatches?.length ?? 0) > 0;
  for (let i = 0; i < plan.steps.length; i++) {
    const traffic = trafficAt(plan, i, preview);
    if (traffic.mode !== "stable") return { index: i, traffic };
  }
  return null;
}

/** The route after the rollout's first traffic step; null when no step moves traffic. */
export function firstRoute(rollout: Rollout, routes: readonly HTTPRoute[]): FirstRoute | null {
  const move = firstMove(rollout);
  if (!move) return null;
  const plan = planOf(rollout.spec);
  const owned = ownedRoute(rollout, routes);
  const traffic = plan.waves.map((_, w) => (w === 0 ? move.traffic : ({ mode: "stable" } as const)));
  const route = rolloutRoute({ rollout, base: owned.base, plan, traffic, final: false, affinityToken: "preview" });
  const step = plan.steps[move.index];
  return { route, creates: owned.base === null, step: `step ${move.index + 1}${step ? `: ${describeStep(step)}` : ""}`, ambiguous: owned.ambiguous.length > 1 ? owned.ambiguous : [] };
}
