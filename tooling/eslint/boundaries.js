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

/** ESLint rule settings enforcing the boundaries of one package (`forTests`: the rules for its test files). */
export function boundaryRules(packageName, { forTests = false } = {}) {
  const entry = boundaries[packageName];
  if (!entry) return {};
  const forbidden = (entry.forbidden ?? []).map((f) => (forTests ? allowTestDatabase(withoutTestModules(f, entry.testsMay ?? [])) : { pattern: f }));
  const paths = forbidden.flatMap((f) => (f.path ? [f.path] : []));
  const patterns = [
    ...forbidden.map((f) => f.pattern),
    ...(entry.testOnly && !forTests ? [{ group: entry.testOnly, message: message.testOnly }] : []),
    ...(entry.typeOnly ? [{ group: entry.typeOnly, message: message.typeOnly, allowTypeImports: true }] : []),
  ];
  return { "@typescript-eslint/no-restricted-imports": ["error", paths.length > 0 ? { paths, patterns } : { patterns }] };
}
