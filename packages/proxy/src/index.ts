// @weft/proxy: the sidecar / gateway proxy runtime.
export {};
