import type { Metadata } from "next";
import { Suspense } from "react";
import { ChannelsPage } from "../../../features/channels/channels-page.tsx";

export const metadata: Metadata = { title: "Notification channels" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ChannelsPage />
    </Suspense>
  );
}
