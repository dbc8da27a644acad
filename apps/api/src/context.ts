import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Database } from "@weft/db";
import type { Logger } from "./logger.ts";

/** What every procedure can reach. Later issues add the authenticated principal. */
export interface Context {
  db: Database;
  log: Logger;
  requestId: string;
  startedAt: Date;
}

export interface ContextDeps {
  db: Database;
  log: Logger;
  startedAt: Date;
}

export function createContextFactory(deps: ContextDeps) {
  return ({ req }: { req: IncomingMessage }): Context => {
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && /^[\w.-]{1,128}$/.test(header) ? header : randomUUID();
    return { ...deps, requestId, log: deps.log.child({ requestId }) };
  };
}
