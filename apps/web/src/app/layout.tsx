import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "../trpc/provider.tsx";
import "../styles/global.css";

// Every page carries a per-request CSP nonce (src/proxy.ts); a page built ahead of time would have none.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Weft", template: "%s · Weft" },
  description: "The Weft service mesh dashboard",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
