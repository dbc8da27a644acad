// The one fetch the manager's own outbound calls go through (rollout
// webhooks, notification channels): an undici Agent whose connector judges
// every address against the egress policy (egress-policy.ts) at connect
// time. Names are resolved by the connector's own lookup and the addresses
// it returns are the ones judged and connected to, so a DNS answer that
// changes between a check and the connection (rebinding) cannot slip past;
// an address in the URL is judged before connecting. undici is the library
// Node's own fetch is built on; its Agent is the documented way to control
// how connections are made.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { egressRefusal, OutboundRefusedError, type EgressPolicy } from "./egress-policy.ts";

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup that fails with OutboundRefusedError when any address of the name is refused. */
export function guardedLookup(policy: EgressPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as LookupAddress[];
      // One refused address refuses the name: a name that answers a public and a metadata address is not to be trusted with either.
      const refusal = list.map((a) => egressRefusal(policy, hostname, a.address)).find((r) => r !== null);
      if (refusal) return callback(refusal as unknown as NodeJS.ErrnoException, "", 0);
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  }) as unknown as LookupFunction;
}

/** An undici dispatcher that connects only where `policy` allows. */
export function egressAgent(policy: EgressPolicy, resolve?: typeof dnsLookup): Agent {
  const connector = buildConnector({ lookup: guardedLookup(policy, resolve) } as buildConnector.BuildOptions);
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[(.*)\]$/, "$1");
      // An address in the URL is never looked up: judge it here.
      if (isIP(host) !== 0) {
        const refusal = egressRefusal(policy, host, host);
        if (refusal) return callback(refusal, null);
      }
      connector(options, callback);
    },
  });
}

/** The manager's outbound HTTP client: a fetch bound to the egress policy, and the way to close its connections. */
export interface OutboundClient {
  /** Refused connections reject with a TypeError whose `cause` is an OutboundRefusedError. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

export function outboundClient(policy: EgressPolicy): OutboundClient {
  const dispatcher = egressAgent(policy);
  let closed: Promise<void> | null = null;
  return {
    fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch,
    // Services may be closed twice (a test's restart, then its manager's stop): the second close waits for the first.
    close: () => (closed ??= dispatcher.close()),
  };
}

/** The refusal behind a failed fetch, if that is why it failed. */
export function outboundRefusalOf(err: unknown): OutboundRefusedError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) if (e instanceof OutboundRefusedError) return e;
  return null;
}
