/**
 * Regular-expression semantics of route matches, shared by validation and the
 * proxy compiler so both agree: ECMAScript syntax (the data plane is Node),
 * matched against the whole value, case-sensitive.
 */
export function compileFullMatchRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** The reason `source` is not a usable regular expression, or `undefined` when it compiles. */
export function regexError(source: string): string | undefined {
  try {
    // Compile the bare source first: wrapping it would let "a)|(b" pass as valid.
    new RegExp(source);
    compileFullMatchRegex(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
