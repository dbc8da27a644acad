// @weft/mesh-model: the pure domain of Weft (resource schemas, validation,
// route matching, policy evaluation, config compilation). No I/O.
export {};
