import { Suspense, type ReactNode } from "react";
import { AppShell } from "../../features/shell/app-shell.tsx";

// The shell reads the URL's filters (useSearchParams), so it renders in the browser.
export default function SignedInLayout({ children }: { children: ReactNode }) {
  return (
    <Suspense fallback={null}>
      <AppShell>{children}</AppShell>
    </Suspense>
  );
}
