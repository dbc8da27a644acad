// The parts of a request that routing, security and rate limits look at.
// node:http's IncomingMessage has this shape; so does a head parsed off a
// raw socket, which is what lets both request paths share those decisions.
import type { IncomingHttpHeaders } from "node:http";

export interface RequestHead {
  method?: string | undefined;
  /** The request target as sent (origin-form or absolute-form). */
  url?: string | undefined;
  /** Header names in lower case; repeated headers joined as node:http does. */
  headers: IncomingHttpHeaders;
}
