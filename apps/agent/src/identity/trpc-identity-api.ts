// The manager's identity procedures over the agent's tRPC client.
import type { ManagerClient } from "../manager-link/manager-client.ts";
import type { ManagerIdentityApi } from "./identity-controller.ts";

export function trpcIdentityApi(client: ManagerClient): ManagerIdentityApi {
  return {
    signIntermediate: (input) => client.agent.signIntermediate.mutate(input),
    reportCertificates: (input) => client.agent.reportCertificates.mutate(input),
    ackTrustBundle: (input) => client.agent.ackTrustBundle.mutate(input),
  };
}
