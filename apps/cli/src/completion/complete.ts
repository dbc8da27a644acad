import type { CommandUnknownOpts } from "@commander-js/extra-typings";

/** What a positional argument completes to: fixed words, or words looked up (e.g. from the manager). */
export type Completer = readonly string[] | (() => Promise<readonly string[]>);

const argumentCompleters = new WeakMap<object, Completer[]>();

/** Declares what each positional argument of `command` completes to, in order. */
export function completeArguments<C extends object>(command: C, ...completers: Completer[]): C {
  argumentCompleters.set(command, completers);
  return command;
}

/** The parts of a command that completion needs, taken from the commander tree. */
export interface CompletionNode {
  name: string;
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean; choices: readonly string[]; files: boolean }[];
  args: Completer[];
  commands: CompletionNode[];
}

// Options named like these take a path: the shell completes files for them.
const FILE_OPTIONS = new Set(["--filename", "--file"]);

/** The commander tree as completion sees it: hidden commands and options left out. */
export function completionTree(command: CommandUnknownOpts): CompletionNode {
  return {
    name: command.name(),
    description: command.description(),
    options: command.options
      .filter((o) => !o.hidden)
      .map((o) => ({ flags: [o.short, o.long].filter((f): f is string => !!f), description: o.description, takesValue: o.required || o.optional, choices: o.argChoices ?? [], files: FILE_OPTIONS.has(o.long ?? "") })),
    args: argumentCompleters.get(command) ?? command.registeredArguments.map((a) => a.argChoices ?? []),
    commands: (command.commands as CommandUnknownOpts[]).filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map(completionTree),
  };
}

export interface Completions {
  candidates: { value: string; description: string }[];
  /** The shell should offer file names (after `-f`). */
  files: boolean;
}

/**
 * The candidates for the last of `words` (the words after `weft`, the last
 * one being what the user is typing, possibly ""), like cobra's __complete:
 * walk the completed words to find the command and the argument position.
 */
export async function complete(root: CompletionNode, words: readonly string[]): Promise<Completions> {
  const path = [root];
  let node = root;
  let positional = 0;
  let pendingOption: CompletionNode["options"][number] | undefined;
  const findOption = (flag: string) => path.flatMap((n) => n.options).find((o) => o.flags.includes(flag));
  const typed = words.at(-1) ?? "";
  for (const word of words.slice(0, -1)) {
    if (pendingOption) {
      pendingOption = undefined;
    } else if (word.startsWith("-") && word !== "-") {
      const option = findOption(word.split("=")[0] ?? word);
      if (option?.takesValue && !word.includes("=")) pendingOption = option;
    } else {
      const sub = positional === 0 ? node.commands.find((c) => c.name === word) : undefined;
      if (sub) {
        node = sub;
        path.push(sub);
      } else positional++;
    }
  }
  const matching = (items: { value: string; description: string }[], files = false): Completions => ({ candidates: items.filter((i) => i.value.startsWith(typed)), files });
  if (pendingOption) return matching(pendingOption.choices.map((c) => ({ value: c, description: "" })), pendingOption.files);
  if (typed.startsWith("-")) {
    return matching(path.flatMap((n) => n.options).flatMap((o) => o.flags.filter((f) => f.startsWith("--")).map((f) => ({ value: f, description: o.description }))));
  }
  const items = positional === 0 ? node.commands.map((c) => ({ value: c.name, description: c.description })) : [];
  const completer = node.args[positional];
  if (completer) items.push(...(await wordsOf(completer)).map((w) => ({ value: w, description: "" })));
  return matching(items);
}

async function wordsOf(completer: Completer): Promise<readonly string[]> {
  if (Array.isArray(completer)) return completer as readonly string[];
  // Completion must never hang the shell: a lookup that fails or takes over 2 s offers nothing.
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([(completer as () => Promise<readonly string[]>)(), new Promise<readonly string[]>((resolve) => (timer = setTimeout(() => resolve([]), 2000)))]);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/** The `__complete` protocol the shell scripts read: `value<TAB>description` lines, then `:files` or `:nofiles`. */
export function formatCompletions(result: Completions): string {
  return `${[...result.candidates.map((c) => (c.description ? `${c.value}\t${c.description.replace(/\s+/g, " ")}` : c.value)), result.files ? ":files" : ":nofiles"].join("\n")}\n`;
}
