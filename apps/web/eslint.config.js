import { weft } from "@weft/eslint-config";

// Browser globals need no entry: typescript-eslint turns `no-undef` off for TS
// files, and the compiler's DOM lib checks them instead.
export default weft(import.meta.dirname);
