// Where the rollout pages live, with the view filters kept.
import { hrefWithFilters } from "../shell/view-filters.ts";

/** The rollout page of namespace/name. */
export function rolloutHref(params: Pick<URLSearchParams, "get">, namespace: string, name: string): string {
  return hrefWithFilters("/rollouts/detail", params, { namespace, name });
}

/** The canary wizard for a service. */
export function newRolloutHref(params: Pick<URLSearchParams, "get">, namespace: string, service: string): string {
  return hrefWithFilters("/rollouts/new", params, { service: `${namespace}/${service}` });
}
