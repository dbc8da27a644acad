import { z } from "zod";

/** The request methods routes and authorization rules match on (the same list in resources and in the ProxyConfig). */
export const HttpMethodSchema = z
  .enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"])
  .describe("HTTP request method.");
export type HttpMethod = z.infer<typeof HttpMethodSchema>;
