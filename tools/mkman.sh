#!/bin/sh
# mkman.sh VMKIT TEMPLATE: print the vmkit(1) page. The version, the
# COMMANDS, EXIT STATUS, JSON and ENVIRONMENT sections come from the tool itself
# (`vmkit --version`, `vmkit --help` and `vmkit CMD --help`): the page and
# --help are one text and cannot drift. The template holds the rest.
set -eu
vmkit=$1; template=$2
version=$("$vmkit" --version | sed 's/^vmkit //')
# .TH's date (man-pages(7)): SOURCE_DATE_EPOCH's when set (reproducible
# builds), else the last commit of what the page is made from, else the
# template's modification time (a tree outside git).
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
else
	date=$(cd "$(dirname "$template")/.." &&
		git log -1 --format=%cs -- docs/vmkit.1.in tools/vmkit tools/mkman.sh 2>/dev/null) || date=
	[ -n "$date" ] || date=$(date -u -r "$template" +%Y-%m-%d)
fi
# roff-escape a text block: backslashes, minus signs (so options copy and
# paste as ASCII) and lines starting with . or '.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
# block NAME: the lines of `vmkit --help` after the line "NAME:" up to the
# next empty line.
top=$("$vmkit" --help)
block() { printf '%s\n' "$top" | sed -n "/^$1:\$/,/^\$/p" | sed -e '1d' -e '/^$/d'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in commands "exit status" json environment; do
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
# Exit statuses and environment variables: "  TAG  text" starts an entry,
# deeper-indented lines go on. The indentation goes before esc, which
# escapes a '.' or quote only at the start of a line: text starting with
# one stays text.
tagged() {
	sed -e "s/^  \\($1\\)  *\\(.*\\)\$/@TP@\\1\\n\\2/" -e 's/^  *//' | esc |
		sed 's/^@TP@\(.*\)$/.TP\n.B \1/'
}
tagged '[0-9][0-9]*' < "$tmp/exit status" > "$tmp/EXIT_STATUS"
tagged '[A-Z][A-Z0-9_]*' < "$tmp/environment" > "$tmp/ENVIRONMENT"
sed 's/^  *//' "$tmp/json" | esc > "$tmp/JSON"
while IFS= read -r line; do
	case $line in
	@COMMANDS@ | @EXIT_STATUS@ | @JSON@ | @ENVIRONMENT@)
		f=${line#@}; cat "$tmp/${f%@}" ;;
	*) printf '%s\n' "$line" | sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g" ;;
	esac
done < "$template"
