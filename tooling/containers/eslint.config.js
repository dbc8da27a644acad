import { weft } from "@weft/eslint-config";

export default weft(import.meta.dirname);
