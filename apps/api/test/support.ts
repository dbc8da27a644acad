// Shared fixtures for the API tests: resource documents and users.
export { seedDiscovery } from "../src/testing.ts";
import { TRPCClientError } from "@trpc/client";
import { expect } from "vitest";
import type { AppRouter } from "../src/router.ts";
import type { ApiClient } from "../src/testing.ts";

/** What a refused call's error carries: the tRPC code, the domain code and the field errors. */
export type ErrorData = { code: string; domainCode: string | null; fieldErrors: { path: string; code: string; document?: number; line?: number }[] | null };

/** Awaits a call that must be refused; its error data. */
export async function refusal(promise: Promise<unknown>): Promise<ErrorData> {
  const err = await promise.then(
    () => {
      throw new Error("expected the call to be refused");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  return (err as TRPCClientError<AppRouter>).data as unknown as ErrorData;
}

export function routeYaml(options: { namespace?: string; name?: string; v1?: number; v2?: number; service?: string } = {}): string {
  const { namespace = "shop", name = "checkout", v1 = 90, v2 = 10, service = "checkout" } = options;
  return `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  parentRefs:
    - name: ${service}
  rules:
    - backendRefs:
        - name: ${service}
          version: v1
          weight: ${v1}
        - name: ${service}
          version: v2
          weight: ${v2}
`;
}

export function trafficPolicyYaml(options: { namespace?: string; name?: string; service?: string } = {}): string {
  const { namespace = "shop", name = "cart", service = "cart" } = options;
  return `apiVersion: weft.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  targetRef:
    name: ${service}
  loadBalancer:
    algorithm: LEAST_REQUEST
`;
}

/** Creates a user (as the admin client) and returns an API token acting as them. */
export async function userWithToken(
  admin: ApiClient,
  url: string,
  signIn: (url: string, username: string, password: string) => Promise<{ client: ApiClient }>,
  username: string,
  role: "VIEWER" | "OPERATOR" | "ADMIN",
  bindings: { role: "VIEWER" | "OPERATOR" | "ADMIN"; namespace: string }[] = [],
): Promise<{ id: string; token: string; password: string; client: ApiClient }> {
  const password = `pw-${username}-correct-horse`;
  const user = await admin.users.create.mutate({ username, password, role });
  for (const b of bindings) await admin.users.addRoleBinding.mutate({ userId: user.id, role: b.role, namespace: b.namespace });
  const { client } = await signIn(url, username, password);
  const { token } = await client.tokens.create.mutate({ name: "test" });
  return { id: user.id, token, password, client };
}
