// The scripts `weft completion <shell>` prints. Each asks `weft __complete
// <words>` for candidates (see complete.ts), so they stay small and the
// command tree is described in one place: the program itself.

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# bash completion for weft: source <(weft completion bash)
_weft_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} line directive=nofiles out
  out=$(weft __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  COMPREPLY=()
  while IFS= read -r line; do
    case $line in
      :files) directive=files ;;
      :*) ;;
      *) COMPREPLY+=("\${line%%$'\\t'*}") ;;
    esac
  done <<< "$out"
  if [[ $directive == files ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o nosort -F _weft_complete weft
`;

const ZSH = `#compdef weft
# zsh completion for weft: source <(weft completion zsh), or save as _weft in $fpath
_weft() {
  local -a described plain
  local line directive=nofiles out
  out=$(weft __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  for line in "\${(@f)out}"; do
    case $line in
      :files) directive=files ;;
      :*) ;;
      *$'\\t'*) described+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}") ;;
      *) plain+=("$line") ;;
    esac
  done
  if [[ $directive == files ]]; then _files; return; fi
  (( \${#described} )) && _describe -t commands 'weft' described
  (( \${#plain} )) && compadd -a plain
  return 0
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _weft "$@"; else compdef _weft weft; fi
`;

const FISH = `# fish completion for weft: weft completion fish | source
function __weft_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (weft __complete $words[2..-1] 2>/dev/null)
    if contains -- :files $out
        __fish_complete_path (commandline -ct)
        return
    end
    string match -v -r '^:' -- $out
end
complete -c weft -f -a '(__weft_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
