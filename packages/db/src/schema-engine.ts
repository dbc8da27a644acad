import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
} from "@prisma/driver-adapter-utils";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";

// @types/node 20 does not declare the WebAssembly global; this is the part we use.
const wasmRuntime = (globalThis as unknown as {
  WebAssembly: {
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
  };
}).WebAssembly;

let loaded: Promise<typeof bindings> | undefined;
let lastPanic: string | undefined;

/** The message of the engine's last Rust panic, which wasm reports through this global. */
export function lastSchemaEnginePanic(): string | undefined {
  return lastPanic;
}

/**
 * Loads Prisma's schema engine compiled to WebAssembly. The package is built
 * for bundlers, so in Node we instantiate the module ourselves; this is what
 * lets migrations run without Prisma's native engine download.
 */
function loadSchemaEngineModule(): Promise<typeof bindings> {
  loaded ??= (async () => {
    const wasmPath = join(dirname(createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const bytes = await readFile(wasmPath);
    const { instance } = await wasmRuntime.instantiate(bytes, { "./schema_engine_bg.js": bindings });
    bindings.__wbg_set_wasm(instance.exports as never);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings;
  })();
  return loaded;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type SqlQuery = Parameters<SqlQueryable["queryRaw"]>[0];
interface PgQueryableInternals extends SqlQueryable {
  performIO(query: SqlQuery): Promise<{ fields: { dataTypeID: number }[] }>;
}

/**
 * The schema engine describes a database by reading the system catalogs,
 * whose one-byte `"char"` columns (pg_constraint.contype, pg_class.relkind...)
 * `@prisma/adapter-pg` 7.10 has no column type for, so every describe fails
 * with "Column type 'char' could not be deserialized". The engine expects
 * them as `Character`; this reports them so. It relies on the adapter's
 * `performIO` seam, checked by the migration tests against both databases.
 */
function reportCatalogCharColumns<Q extends SqlQueryable>(queryable: Q): Q {
  const target = queryable as unknown as PgQueryableInternals;
  const charColumns = new WeakMap<SqlQuery, number[]>();
  const performIO = target.performIO.bind(target);
  target.performIO = async (query) => {
    const result = await performIO(query);
    const indices: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        indices.push(i);
      }
    });
    if (indices.length > 0) charColumns.set(query, indices);
    return result;
  };
  const queryRaw = target.queryRaw.bind(target);
  target.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  return queryable;
}

function engineAdapterFactory(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  // One connection: the engine works sequentially, and the embedded server
  // is single-session.
  const inner = new PrismaPg({ connectionString: databaseUrl, max: 1 });
  const wrap = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => reportCatalogCharColumns(await startTransaction(isolationLevel));
    return reportCatalogCharColumns(adapter);
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => wrap(await inner.connect()),
    connectToShadowDb: async () => wrap(await inner.connectToShadowDb()),
  };
}

export interface EngineHandle {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/** Opens a schema engine talking to `databaseUrl` through the pg driver adapter. */
export async function openSchemaEngine(databaseUrl: string, schema: { path: string; content: string }): Promise<EngineHandle> {
  const mod = await loadSchemaEngineModule();
  const adapter = bindMigrationAwareSqlAdapterFactory(engineAdapterFactory(databaseUrl));
  const log = (message: string) => {
    if (process.env.WEFT_DEBUG_SCHEMA_ENGINE) process.stderr.write(`schema-engine: ${message}\n`);
  };
  const engine = await mod.SchemaEngine.new({ datamodels: [[schema.path, schema.content]] }, log, adapter);
  return {
    engine,
    async close() {
      engine.free();
    },
  };
}
