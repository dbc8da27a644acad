"use client";

import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { useTRPC } from "../../trpc/context.ts";
import type { Me } from "../../trpc/types.ts";
import { canEditNamespace, canEditSomewhere, isAdmin, type Grants } from "./permissions.ts";

export interface Session {
  me: Me;
  grants: Grants;
  /** May change resources in this namespace (null: mesh-wide kinds). */
  canEdit: (namespace: string | null) => boolean;
  canEditAnything: boolean;
  isAdmin: boolean;
}

const SessionContext = createContext<Session | null>(null);

/** auth.me, refreshed now and then so an expired session is noticed on idle pages too. */
export function useMeQuery() {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { refetchInterval: 60_000, staleTime: 30_000 }));
}

export function toSession(me: Me): Session {
  const grants: Grants = { role: me.user.role, bindings: me.user.bindings };
  return {
    me,
    grants,
    canEdit: (namespace) => canEditNamespace(grants, namespace),
    canEditAnything: canEditSomewhere(grants),
    isAdmin: isAdmin(grants),
  };
}

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The signed-in user; only inside the app shell. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in shell");
  return session;
}
