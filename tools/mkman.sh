#!/bin/sh
# mkman.sh VMKIT TEMPLATE: print the vmkit(1) page. The version, the
# COMMANDS, EXIT STATUS and JSON sections come from the tool itself
# (`vmkit --version`, `vmkit --help` and `vmkit CMD --help`): the page and
# --help are one text and cannot drift. The template holds the rest.
set -eu
vmkit=$1; template=$2
version=$("$vmkit" --version | sed 's/^vmkit //')
# roff-escape a text block: backslashes, minus signs (so options copy and
# paste as ASCII) and lines starting with . or '.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
# block NAME: the lines of `vmkit --help` after the line "NAME:" up to the
# next empty line.
top=$("$vmkit" --help)
block() { printf '%s\n' "$top" | sed -n "/^$1:\$/,/^\$/p" | sed -e '1d' -e '/^$/d'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in commands "exit status" json; do
	block "$b" > "$tmp/$b"
	[ -s "$tmp/$b" ] || { echo "mkman.sh: no '$b:' block in '$vmkit --help'" >&2; exit 1; }
done
# The command table: indented "name  summary" lines.
sed -n 's/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1\t\2/p' "$tmp/commands" |
while IFS='	' read -r name summary; do
	printf '.SS %s\n' "$name"
	printf '%s\n' "$summary" | esc
	printf '.PP\n.nf\n'
	# Not in a pipe: a failing --help must fail the page, not empty it.
	help=$("$vmkit" "$name" --help) || { echo "mkman.sh: '$vmkit $name --help' failed" >&2; exit 1; }
	printf '%s\n' "$help" | esc
	printf '.fi\n'
done > "$tmp/COMMANDS"
[ -s "$tmp/COMMANDS" ] || { echo "mkman.sh: no commands found in '$vmkit --help'" >&2; exit 1; }
# Exit statuses: "  N  text" starts an entry, deeper-indented lines go on.
esc < "$tmp/exit status" | sed -e 's/^  \([0-9][0-9]*\)  *\(.*\)$/.TP\n.B \1\n\2/' -e 's/^  *//' > "$tmp/EXIT_STATUS"
esc < "$tmp/json" | sed 's/^  *//' > "$tmp/JSON"
while IFS= read -r line; do
	case $line in
	@COMMANDS@ | @EXIT_STATUS@ | @JSON@)
		f=${line#@}; cat "$tmp/${f%@}" ;;
	*) printf '%s\n' "$line" | sed "s/@VERSION@/$version/g" ;;
	esac
done < "$template"
