import { weft } from "./index.js";

export default weft(import.meta.dirname);
