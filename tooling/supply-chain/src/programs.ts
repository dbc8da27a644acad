/** The programs Weft ships, each with the workspace whose production dependencies it carries. */
export const SHIPPED_PROGRAMS = [
  { program: "weft-manager", workspace: "@weft/api" },
  { program: "weft-agent", workspace: "@weft/agent" },
  { program: "weft-proxy", workspace: "@weft/proxy" },
  { program: "weft-dashboard", workspace: "@weft/web" },
  { program: "weft", workspace: "@weft/cli" },
] as const;
