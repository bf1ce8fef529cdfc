#!/bin/sh
# mkman.sh VMKIT TEMPLATE: print the vmkit(1) page. The version and the
# COMMANDS section come from the tool itself (`vmkit --version`,
# `vmkit --help` and `vmkit CMD --help`), so the page and --help cannot drift.
set -eu
vmkit=$1; template=$2
version=$("$vmkit" --version | sed 's/^vmkit //')
# roff-escape a text block: backslashes, minus signs (so options copy and
# paste as ASCII) and lines starting with . or '.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
# The command table: indented "name  summary" lines after "commands:".
"$vmkit" --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1\t\2/p' |
while IFS='	' read -r name summary; do
	printf '.SS %s\n' "$name"
	printf '%s\n' "$summary" | esc
	printf '.PP\n.nf\n'
	# Not in a pipe: a failing --help must fail the page, not empty it.
	help=$("$vmkit" "$name" --help) || { echo "mkman.sh: '$vmkit $name --help' failed" >&2; exit 1; }
	printf '%s\n' "$help" | esc
	printf '.fi\n'
done > "$cmds"
[ -s "$cmds" ] || { echo "mkman.sh: no commands found in '$vmkit --help'" >&2; exit 1; }
while IFS= read -r line; do
	case $line in
	@COMMANDS@) cat "$cmds" ;;
	*) printf '%s\n' "$line" | sed "s/@VERSION@/$version/g" ;;
	esac
done < "$template"
