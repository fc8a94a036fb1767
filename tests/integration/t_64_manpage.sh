# The manual page argofs(1) (docs/argofs.1): it renders without a warning,
# and it and `argofs --help` list the same options and environment
# variables, both ways.

MANPAGE="$SRC/docs/argofs.1"

test_manpage_renders_without_warnings() {
	if command -v man >/dev/null; then
		MANWIDTH=80 LC_ALL=C man --warnings -l "$MANPAGE" >"$T/page" 2>"$T/warnings" ||
			fail "man failed: $(cat "$T/warnings")"
	elif command -v groff >/dev/null; then
		groff -man -Tascii -ww -z "$MANPAGE" 2>"$T/warnings" || fail "groff failed"
		groff -man -Tascii "$MANPAGE" >"$T/page"
	else
		skip "neither man nor groff is installed"
	fi
	[ ! -s "$T/warnings" ] || fail "warnings: $(cat "$T/warnings")"
	local section
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS "THE TREE" ERRORS ENVIRONMENT FILES SIGNALS \
		"EXIT STATUS" EXAMPLES; do
		grep -q "^$section\$" "$T/page" || fail "no $section section"
	done
}

# option_names FILE INDENT: the options and environment variables a text
# lists, one per line, sorted: "-o NAME" entries as NAME, "-x, --long" as
# both, VARIABLE[=...] as VARIABLE - at the start of a line indented by
# INDENT spaces.
option_names() {
	python3 - "$1" "$2" <<'PY'
import re, sys
text, indent = open(sys.argv[1]).read(), int(sys.argv[2])
names = set()
for line in text.splitlines():
    m = re.match(r"^ {%d}(\S.*)$" % indent, line)
    if not m:
        continue
    entry = m.group(1)
    o = re.match(r"-o ([a-z_]+)", entry)
    if o:
        names.add(o.group(1))
    elif entry.startswith("-"):
        names.update(re.findall(r"(?:^|, )(--?[A-Za-z][a-z-]*)", entry))
    else:
        v = re.match(r"([A-Z][A-Z0-9_]{3,})(?:=|\s|$)", entry)
        if v:
            names.add(v.group(1))
print("\n".join(sorted(names)))
PY
}

test_manpage_and_help_list_the_same_options() {
	command -v groff >/dev/null || skip "groff is not installed"
	"$ARGOFS" --help >"$T/help" || fail "--help failed"
	# the entries of OPTIONS and ENVIRONMENT, rendered (tags are indented by 7)
	groff -man -Tascii -rLL=200n "$MANPAGE" 2>/dev/null | col -bx |
		awk '/^[A-Z]/ { keep = ($0 == "OPTIONS" || $0 == "ENVIRONMENT") } keep' >"$T/page"
	option_names "$T/help" 4 >"$T/from-help"
	option_names "$T/page" 7 >"$T/from-page"
	[ "$(wc -l <"$T/from-help")" -ge 20 ] || fail "few options read from --help: $(xargs <"$T/from-help")"
	local missing
	missing=$(comm -23 "$T/from-help" "$T/from-page" | xargs)
	[ -z "$missing" ] || fail "in --help, not in argofs(1): $missing"
	missing=$(comm -13 "$T/from-help" "$T/from-page" | xargs)
	[ -z "$missing" ] || fail "in argofs(1), not in --help: $missing"
}
