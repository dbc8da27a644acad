import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "../trpc/provider.tsx";
import "../styles/global.css";

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
