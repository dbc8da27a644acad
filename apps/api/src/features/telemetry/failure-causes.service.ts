import { invalid } from "../../errors.ts";
import { explainFailures, type FailureExplanation } from "./failure-causes.ts";
import type { FailureCausesRepository, RequestSpanFilter } from "./failure-causes.repository.ts";

/** Why requests to a service, or over one edge, failed in a window: from the spans its proxies recorded. */
export class FailureCausesService {
  constructor(private readonly repo: FailureCausesRepository) {}

  async explain(filter: RequestSpanFilter): Promise<FailureExplanation & { from: Date; to: Date }> {
    if (filter.to <= filter.from) throw invalid("must be after from", "to");
    const requests = await this.repo.requestSpans(filter);
    const failedTraces = [...new Set(requests.filter((r) => r.statusCode === 0 || (r.statusCode ?? 0) >= 500 || r.responseFlags !== "").map((r) => r.traceId))];
    const traceSpans = await this.repo.traceSpans(failedTraces);
    return { from: filter.from, to: filter.to, ...explainFailures(requests, traceSpans) };
  }
}
