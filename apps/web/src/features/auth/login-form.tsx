"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { safeNext, toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";

/** Local sign-in; an OIDC button when the manager has a provider configured. */
export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const next = safeNext(params.get("next"));
  const expired = params.get("reason") === "expired";
  const methods = useQuery(trpc.auth.methods.queryOptions());
  const me = useQuery(trpc.auth.me.queryOptions());
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");

  // Already signed in (another tab, or the back button): straight on.
  useEffect(() => {
    if (me.data) router.replace(next);
  }, [me.data, next, router]);

  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        await refreshAfterChange(queryClient);
        router.replace(next);
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username, password });
  };
  const failure = login.error ? toApiFailure(login.error) : null;
  const oidc = methods.data?.oidcLoginUrl ?? null;

  return (
    <div className="login-card">
      <h1>Sign in to Weft</h1>
      {expired ? (
        <p role="status" className="notice" data-testid="session-expired">
          Your session ended. Sign in again to continue.
        </p>
      ) : null}
      <form onSubmit={onSubmit} aria-label="Sign in" className="stack">
        <label className="field">
          <span className="field-label">Username</span>
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {failure ? (
          <p role="alert" className="field-error" data-testid="login-error">
            {failure.kind === "unreachable" ? "Cannot reach the Weft manager API." : failure.message}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {oidc ? (
        <>
          <p className="divider">or</p>
          <a className="btn" href={`${oidc}?returnTo=${encodeURIComponent(next)}`} data-testid="oidc-login">
            Sign in with OIDC
          </a>
        </>
      ) : null}
    </div>
  );
}
