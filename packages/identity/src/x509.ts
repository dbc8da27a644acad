// The one place that wires @peculiar/x509 to Node's WebCrypto. Every module of
// this package imports `x509` from here so the provider is set before use.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// @peculiar/x509 is typed against the DOM `Crypto` (its set(key, value) overload names the type); Node's webcrypto implements it.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

export { x509 };
