import type { MeshInfo } from "../mesh/mesh.repository.ts";
import type { ResourcesRepository, StoredResource } from "../resources/resources.repository.ts";
import type { EgressObservationsRepository } from "./egress-observations.repository.ts";
import { FULL_WINDOW_MS, suggestEgress, type EgressSuggestion, type ExistingSidecar } from "./egress-suggestion.ts";

const MINUTE = 60_000;

/** Egress scopes (Sidecar resources) suggested from telemetry. */
export class SidecarsService {
  constructor(
    private readonly resources: ResourcesRepository,
    private readonly mesh: () => Promise<MeshInfo>,
    private readonly observations: EgressObservationsRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * A Sidecar whose hosts are exactly what the target's workloads called in
   * [from, to) (default: the last week), with the evidence per host and the
   * hosts it adds to or removes from the Sidecar in force. Nothing is stored.
   */
  async suggest(input: { namespace: string; service?: string | undefined; from?: Date | undefined; to?: Date | undefined }): Promise<EgressSuggestion> {
    const to = new Date(Math.ceil((input.to ?? this.now()).getTime() / MINUTE) * MINUTE);
    const from = new Date(Math.floor((input.from ?? new Date(to.getTime() - FULL_WINDOW_MS)).getTime() / MINUTE) * MINUTE);
    const mesh = await this.mesh();
    const [calls, first, services, stored] = await Promise.all([
      this.observations.calls({ namespace: input.namespace, service: input.service, from, to }),
      this.observations.firstMinute({ from, to }),
      this.observations.services(),
      this.resources.list(mesh.id, { kind: "ExternalService" }).then(async (externals) => [...externals, ...(await this.resources.list(mesh.id, { kind: "Sidecar", namespace: input.namespace }))]),
    ]);
    const live = stored.filter((r) => r.document !== null);
    const sidecars = live.filter((r) => r.kind === "Sidecar").sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name));
    const targetOf = (r: StoredResource) => (r.document?.kind === "Sidecar" ? r.document.spec.targetRef?.name : undefined);
    const existing = sidecars.filter((r) => targetOf(r) === input.service).map(toExisting);
    const namespaceScope = input.service ? sidecars.filter((r) => targetOf(r) === undefined).map(toExisting)[0] : undefined;
    // Coverage is mesh-wide, as the telemetry views count it: the window's data starts at the first minute any agent reported.
    const coveredFrom = first && first > from ? first : from;
    const end = new Date(Math.min(to.getTime(), Math.max(this.now().getTime(), coveredFrom.getTime())));
    return suggestEgress({
      namespace: input.namespace,
      service: input.service,
      calls,
      services,
      externalServices: live.filter((r) => r.kind === "ExternalService").map((r) => ({ namespace: r.namespace, name: r.name })),
      existing,
      namespaceScope,
      window: { from, to, coveredFrom, coveredTo: end },
    });
  }
}

function toExisting(r: StoredResource): ExistingSidecar {
  return { namespace: r.namespace, name: r.name, hosts: r.document?.kind === "Sidecar" ? r.document.spec.egress.hosts : [] };
}
