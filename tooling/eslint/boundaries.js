// Import boundaries between Weft's packages (see ARCHITECTURE.md,
// "Dependency direction"). Each entry lists what a package may NOT import.

/** I/O libraries and Node modules that would make the domain impure. */
const IO_MODULES = [
  "@prisma/*",
  "prisma",
  "@trpc/*",
  "react",
  "react-dom",
  "react/*",
  "next",
  "next/*",
  "@kubernetes/client-node",
  "pg",
  "ioredis",
  "redis",
  ...[
    "net",
    "http",
    "http2",
    "https",
    "tls",
    "fs",
    "fs/promises",
    "dgram",
    "dns",
    "child_process",
    "cluster",
    "worker_threads",
  ].flatMap((m) => [m, `node:${m}`]),
];

/** What mesh-model's tests may read on top of the pure domain: the compiler's golden files beside it. */
const MESH_MODEL_TEST_IO = ["fs", "node:fs"];

const message = {
  pure: "mesh-model is the pure domain: no I/O libraries and nothing of ours (ARCHITECTURE.md, dependency direction).",
  context: "features never import context.ts: take what you need as arguments; audit facts go back to the router (features/audit/audit-facts.ts), request facts come from request-info.ts.",
  databaseValues: "only repositories (and the unit of work / database wiring) use the database client: take a repository or the UnitOfWork; types (`import type`) are fine.",
  transaction: "transactions go through UnitOfWork.run (unit-of-work.ts), which hands the work its transaction's repositories.",
  typeOnly: "apps/api is reachable only as types: use `import type { AppRouter } from \"@weft/api\"`.",
  direction: "this import points against the dependency direction in ARCHITECTURE.md.",
  testOnly: "only this package's tests may import it (they seed data); its own code must not.",
};

/**
 * Restricted imports per package name. `typeOnly` entries are allowed as
 * `import type` and refused as values; `testsMay` lists forbidden modules
 * that the package's test files may import all the same.
 * @type {Record<string, { forbidden?: { group: string[], message: string }[], typeOnly?: string[], testOnly?: string[], testsMay?: string[] }>}
 */
export const boundaries = {
  "@weft/mesh-model": {
    forbidden: [
      { group: IO_MODULES, message: message.pure },
      { group: ["@weft/*"], message: message.pure },
    ],
    testsMay: MESH_MODEL_TEST_IO,
  },
  "@weft/proxy": {
    forbidden: [{ group: ["@weft/api", "@weft/api/*", "@weft/db", "@weft/db/*", "@weft/web", "@weft/agent", "@prisma/*"], message: message.direction }],
  },
  "@weft/db": {
    forbidden: [{ group: ["@weft/api", "@weft/api/*", "@weft/web", "@weft/agent", "@weft/proxy"], message: message.direction }],
  },
  "@weft/api": {
    forbidden: [{ group: ["@weft/web", "@weft/agent", "@weft/proxy"], message: message.direction }],
  },
  "@weft/identity": {
    forbidden: [{ group: ["@weft/api", "@weft/api/*", "@weft/db", "@weft/db/*", "@weft/web", "@weft/agent", "@weft/proxy", "@weft/proxy/*", "@prisma/*", "prisma", "@trpc/*"], message: message.direction }],
  },
  "@weft/agent": {
    forbidden: [{ group: ["@weft/db", "@weft/db/*", "@weft/web", "@prisma/*"], message: message.direction }],
    typeOnly: ["@weft/api", "@weft/api/*"],
  },
  "@weft/cli": {
    forbidden: [{ group: ["@weft/db", "@weft/db/*", "@weft/web", "@weft/agent", "@weft/proxy", "@prisma/*"], message: message.direction }],
    typeOnly: ["@weft/api", "@weft/api/*"],
  },
  "@weft/web": {
    forbidden: [{ group: ["@weft/db", "@weft/db/*", "@weft/agent", "@weft/proxy", "@prisma/*"], message: message.direction }],
    typeOnly: ["@weft/api", "@weft/api/*"],
    // Browser tests seed certificates with it; the dashboard itself never handles keys or signs anything.
    testOnly: ["@weft/identity", "@weft/identity/*"],
  },
};

/**
 * What test files may import on top of their package's code: tests that run
 * the whole platform need a database of their own, and `@weft/db/testing`
 * is the one way to get it. (A group entry "@weft/db" would match it as a
 * folder, which gitignore-style negation cannot undo, so the bare name moves
 * to `paths`.)
 */
function allowTestDatabase(forbidden) {
  if (!forbidden.group.includes("@weft/db/*")) return { pattern: forbidden };
  return {
    pattern: { ...forbidden, group: [...forbidden.group.filter((g) => g !== "@weft/db"), "!@weft/db/testing"] },
    path: forbidden.group.includes("@weft/db") ? { name: "@weft/db", message: forbidden.message } : undefined,
  };
}

/** A forbidden group without the modules a package's tests may use. */
function withoutTestModules(forbidden, testsMay) {
  return testsMay.length === 0 ? forbidden : { ...forbidden, group: forbidden.group.filter((g) => !testsMay.includes(g)) };
}

/**
 * ESLint rule settings enforcing the boundaries of one package (`forTests`:
 * the rules for its test files; `extraPatterns`: more restricted patterns
 * for part of it, since a later config replaces the rule's options whole).
 */
export function boundaryRules(packageName, { forTests = false, extraPatterns = [] } = {}) {
  const entry = boundaries[packageName];
  if (!entry) return {};
  const forbidden = (entry.forbidden ?? []).map((f) => (forTests ? allowTestDatabase(withoutTestModules(f, entry.testsMay ?? [])) : { pattern: f }));
  const paths = forbidden.flatMap((f) => (f.path ? [f.path] : []));
  const patterns = [
    ...forbidden.map((f) => f.pattern),
    ...(entry.testOnly && !forTests ? [{ group: entry.testOnly, message: message.testOnly }] : []),
    ...(entry.typeOnly ? [{ group: entry.typeOnly, message: message.typeOnly, allowTypeImports: true }] : []),
    ...extraPatterns,
  ];
  return { "@typescript-eslint/no-restricted-imports": ["error", paths.length > 0 ? { paths, patterns } : { patterns }] };
}

/**
 * The folders of packages/proxy/src, lowest layer first (Envoy's split:
 * listener → http → upstream; see the proxy README's code map). A folder
 * imports only folders of lower layers: never a sibling on its own layer,
 * never a layer above, never the root files (proxy.ts, cli.ts, index.ts)
 * that wire the folders together. Type-only imports included: a type
 * import is one edit away from a value import.
 */
export const proxyLayers = [
  ["core", "codec"],
  ["observability"],
  ["upstream", "security"],
  ["http", "tcp"],
  ["listener", "admin", "config"],
];

/** Flat-config entries for packages/proxy (its eslint.config.js passes them to `weft`). */
export function proxyLayerConfigs() {
  return proxyLayers.flatMap((layer, i) =>
    layer.map((folder) => {
      const above = proxyLayers.slice(i).flat().filter((f) => f !== folder);
      const extraPatterns = [
        { regex: `^\\.\\./(${above.join("|")})(/|$)`, message: `proxy layers import downward only: src/${folder}/ may import ${proxyLayers.slice(0, i).flat().join(", ") || "nothing of the other folders"} (tooling/eslint/boundaries.js, proxyLayers).` },
        { regex: "^\\.\\./[^/]+\\.ts$", message: `proxy layers import downward only: src/${folder}/ may not import the root files that wire the folders together.` },
        { regex: "^\\.\\./\\.\\./", message: `proxy layers import downward only: src/${folder}/ imports other folders as ../<folder>/<file>.ts.` },
      ];
      return { files: [`src/${folder}/**/*.ts`], rules: boundaryRules("@weft/proxy", { extraPatterns }) };
    }),
  );
}

/** Tests must not use `.only`: it silently skips the rest of the suite (in every package, merged with the rules below). */
export const NO_ONLY = { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name='only']", message: "No .only: it silently skips the rest of the suite." };

/**
 * The manager's inside shape (apps/api/README.md): features never reach up
 * into the request context; repositories are the only database code; one
 * unit of work runs every transaction. Globs are relative to apps/api.
 */
export const API_LAYERS = {
  features: ["src/features/**/*.ts"],
  /** Tests beside the code seed and inspect the database as they need (like test/). */
  tests: ["src/**/*.test.ts"],
  /** Files that may use the database client's values: repositories, the unit of work, and the wiring that opens the database. */
  databaseCode: ["src/**/*.repository.ts", "src/unit-of-work.ts", "src/db-client.ts", "src/manager.ts", "src/testing.ts"],
  unitOfWork: ["src/unit-of-work.ts"],
};

/**
 * Flat-config entries for the rules inside one package (after its boundary
 * rules, which they extend for the files they cover).
 * @returns {import("eslint").Linter.Config[]}
 */
export function layerConfigs(packageName) {
  if (packageName !== "@weft/api") return [];
  const packageRule = boundaryRules(packageName)["@typescript-eslint/no-restricted-imports"];
  const packageOptions = packageRule[1];
  return [
    {
      // ESLint's own rule (the typescript-eslint one carries the package boundaries): type imports are refused too.
      files: API_LAYERS.features,
      rules: { "no-restricted-imports": ["error", { patterns: [{ regex: "(^|/)context(\\.ts)?$", message: message.context }] }] },
    },
    {
      files: ["src/**/*.ts"],
      ignores: [...API_LAYERS.databaseCode, ...API_LAYERS.tests],
      rules: {
        "@typescript-eslint/no-restricted-imports": [
          "error",
          { ...packageOptions, patterns: [...packageOptions.patterns, { group: ["@weft/db", "@weft/db/*", "@prisma/*"], message: message.databaseValues, allowTypeImports: true }] },
        ],
      },
    },
    {
      files: ["src/**/*.ts"],
      ignores: [...API_LAYERS.unitOfWork, ...API_LAYERS.tests],
      rules: { "no-restricted-syntax": ["error", NO_ONLY, { selector: "MemberExpression[property.name='$transaction']", message: message.transaction }] },
    },
  ];
}
