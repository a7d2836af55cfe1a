#!/usr/bin/env bash
# gen-docs.sh man|completion DRONEVAULT COMMANDS_DEF OUT
#   Writes the man page dronevault(1) or the bash completion script from
#   what the binary itself says: 'dronevault --help' and, for every command
#   in cli/commands.def, 'dronevault COMMAND --help'. The build runs it, so
#   the page and the completion never drift from the help text.
set -euo pipefail
mode=$1 dv=$2 def=$3 out=$4

# commands in the order of commands.def; "_" is "-" on the command line
mapfile -t cmds < <(sed -n 's/^DV_CMD(\([a-z0-9_]*\),.*/\1/p' "$def" | tr _ -)
[ ${#cmds[@]} -gt 0 ] || { echo "gen-docs: no DV_CMD lines in $def" >&2; exit 1; }

help_of() { # the help text of a command, failing loudly when there is none
  local t
  if ! t=$("$dv" "$@" --help 2>&1) || [ -z "$t" ]; then
    echo "gen-docs: '$dv $* --help' failed" >&2
    exit 1
  fi
  printf '%s\n' "$t"
}

# roff: a backslash is \e, a line may not start with . or '
roff_escape() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

version=$("$dv" --version | head -1 | awk '{print $2}')
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

case $mode in
man)
  {
    # no date: the same sources give the same page (reproducible builds)
    printf '.TH DRONEVAULT 1 "" "dronevault %s" "User Commands"\n' "$version"
    printf '.SH NAME\ndronevault \\- encrypted evidence vault for police drone data\n'
    printf '.SH SYNOPSIS\n.B dronevault\n[\\fB\\-\\-vault\\fR \\fIDIR\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n'
    printf '.br\n.B dronevault\n\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR\n'
    printf '.SH DESCRIPTION\n'
    printf 'The text below is what \\fBdronevault \\-\\-help\\fR and \\fBdronevault\n\\fICOMMAND\\fB \\-\\-help\\fR print.\n'
    printf '.PP\n.nf\n'
    help_of | sed 1,2d | roff_escape
    printf '.fi\n.SH COMMANDS\n'
    for c in "${cmds[@]}"; do
      printf '.SS %s\n.nf\n' "$c"
      help_of "$c" | roff_escape
      printf '.fi\n'
    done
    printf '.SH ENVIRONMENT\n'
    printf '.TP\n.B DRONEVAULT_VAULT\nthe vault when \\fB\\-\\-vault\\fR is not given (else \\fI./vault\\fR)\n'
    printf '.TP\n.B DRONEVAULT_PASSPHRASE\nthe vault passphrase, for scripts (a person is prompted)\n'
    printf '.SH FILES\n.TP\n.I %s/endpoints.tsv\n' "${DV_DATADIR:-/usr/share/dronevault}"
    printf 'the endpoint list \\fBaudit\\fR ships with (built in; \\fB\\-\\-endpoints\\fR adds more)\n'
    printf '.SH SEE ALSO\n.BR sha256sum (1),\n.BR tshark (1)\n'
  } >"$tmp"
  ;;
completion)
  {
    printf '# bash completion for dronevault %s - generated from its --help by scripts/gen-docs.sh\n' "$version"
    printf '_dronevault()\n{\n'
    printf '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= sub= i\n'
    printf '  for ((i = 1; i < COMP_CWORD; i++)); do\n'
    printf '    case ${COMP_WORDS[i]} in\n'
    printf '      --vault) ((i++)) ;;\n'
    printf '      -*) ;;\n'
    printf '      *) if [ -z "$cmd" ]; then cmd=${COMP_WORDS[i]}; elif [ -z "$sub" ]; then sub=${COMP_WORDS[i]}; fi ;;\n'
    printf '    esac\n  done\n'
    printf '  case $prev in\n'
    printf '    --vault|--to|--out|--dem|--zones|--plan|--track|--key-file|--report|--geojson|--endpoints) COMPREPLY=($(compgen -f -- "$cur")); return ;;\n'
    printf '  esac\n'
    printf '  if [ -z "$cmd" ]; then\n'
    printf '    COMPREPLY=($(compgen -W "%s --vault --help --version" -- "$cur"))\n' "${cmds[*]}"
    printf '    return\n  fi\n'
    printf '  local subs= flags=\n  case $cmd in\n'
    for c in "${cmds[@]}"; do
      h=$(help_of "$c")
      # subcommands: the first word after "dronevault CMD" in the usage lines
      subs=$(printf '%s\n' "$h" | sed -n "s/^\(usage:\)\{0,1\} *dronevault $c \([a-z][a-z-]*\).*/\2/p" | sort -u | tr '\n' ' ')
      flags=$(printf '%s\n' "$h" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' ')
      printf '    %s) subs="%s" flags="%s--help" ;;\n' "$c" "${subs% }" "$flags"
    done
    printf '  esac\n'
    printf '  if [[ $cur == -* ]]; then\n'
    printf '    COMPREPLY=($(compgen -W "$flags" -- "$cur"))\n'
    printf '  elif [ -n "$subs" ] && [ -z "$sub" ]; then\n'
    printf '    COMPREPLY=($(compgen -W "$subs" -- "$cur"))\n'
    printf '  else\n'
    printf '    COMPREPLY=($(compgen -f -- "$cur"))\n'
    printf '  fi\n'
    printf '}\ncomplete -o filenames -F _dronevault dronevault\n'
  } >"$tmp"
  bash -n "$tmp"
  ;;
*)
  echo "usage: gen-docs.sh man|completion DRONEVAULT COMMANDS_DEF OUT" >&2
  exit 2
  ;;
esac
mv "$tmp" "$out"
trap - EXIT
