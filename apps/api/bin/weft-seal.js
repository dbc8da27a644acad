#!/usr/bin/env node
// Seals a secret for a manager setting (see src/seal-cli.ts), from the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/seal-cli.ts");
