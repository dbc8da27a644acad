"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { loginHref } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { PendingRequestsBadge } from "../change-requests/pending-badge.tsx";
import { roleSummary } from "../users/role-summary.ts";
import { ErrorState, Loading } from "../ui/states.tsx";
import { FilterBar } from "./filter-bar.tsx";
import { SessionProvider, toSession, useMeQuery, type Session } from "./session.tsx";
import { hrefWithFilters } from "./view-filters.ts";

interface NavLink {
  href: string;
  label: string;
  show?: (s: Session) => boolean;
}

export const NAV_LINKS: readonly NavLink[] = [
  { href: "/", label: "Overview" },
  { href: "/topology", label: "Topology" },
  { href: "/services", label: "Services" },
  { href: "/policies", label: "Policies" },
  { href: "/rollouts", label: "Rollouts" },
  { href: "/slos", label: "SLOs" },
  { href: "/tickets", label: "Tickets" },
  { href: "/change-requests", label: "Change requests" },
  { href: "/clusters", label: "Clusters" },
  { href: "/certificates", label: "Certificates" },
  { href: "/users", label: "Users & tokens" },
  { href: "/channels", label: "Channels", show: (s) => s.isAdmin },
  { href: "/audit", label: "Audit", show: (s) => s.isAdmin },
];

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

function SignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace("/login");
      },
    }),
  );
  return (
    <button type="button" className="btn btn-quiet" onClick={() => logout.mutate()} disabled={logout.isPending}>
      Sign out
    </button>
  );
}

function Header({ session }: { session: Session }) {
  const pathname = usePathname();
  const params = useSearchParams();
  return (
    <header className="site-header">
      <Link href={hrefWithFilters("/", params)} className="brand">
        Weft
      </Link>
      <nav aria-label="Main">
        <ul className="nav-links">
          {NAV_LINKS.filter((l) => !l.show || l.show(session)).map((link) => (
            <li key={link.href}>
              <Link href={hrefWithFilters(link.href, params)} className="nav-link" aria-current={isCurrent(pathname, link.href) ? "page" : undefined}>
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="user-menu">
        <span data-testid="signed-in-user">
          {session.me.user.displayName ?? session.me.user.username} <span className="role-tag" data-testid="role-tag">{roleSummary(session.me.user.role, session.me.user.bindings)}</span>
        </span>
        {session.isAdmin ? <PendingRequestsBadge /> : null}
        <SignOut />
      </div>
    </header>
  );
}

/** Every signed-in page: header, navigation, filters. Sends anyone not signed in to the login page. */
export function AppShell({ children }: { children: ReactNode }) {
  const me = useMeQuery();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const signedOut = me.data === null;
  useEffect(() => {
    if (signedOut) {
      const query = params.toString();
      router.replace(loginHref(query ? `${pathname}?${query}` : pathname));
    }
  }, [signedOut, pathname, params, router]);

  if (me.isPending || signedOut) return <main className="page"><Loading what="your session" /></main>;
  if (me.isError || !me.data) return <main className="page"><ErrorState error={me.error} title="Could not check your session" onRetry={() => void me.refetch()} /></main>;
  const session = toSession(me.data);
  return (
    <SessionProvider session={session}>
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <Header session={session} />
      <FilterBar />
      <main id="content" className="page" tabIndex={-1}>
        {children}
      </main>
    </SessionProvider>
  );
}
