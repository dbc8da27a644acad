import type { NextConfig } from "next";

// /trpc and /healthz are forwarded to the manager by src/proxy.ts at run time
// (not by `rewrites()`, whose destinations `next build` freezes into the output).
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // mesh-model ships TypeScript sources (its zod schemas drive the policy forms).
  transpilePackages: ["@weft/mesh-model"],
};

export default config;
