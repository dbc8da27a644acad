import { weft } from "@weft/eslint-config";
import { proxyLayerConfigs } from "@weft/eslint-config/boundaries";

export default weft(
  import.meta.dirname,
  ...proxyLayerConfigs(),
  // A function longer than a screen has a reason written above it (an eslint-disable with `-- why`) or is split.
  { files: ["src/**/*.ts"], ignores: ["src/**/*.test.ts"], rules: { "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }] } },
);
