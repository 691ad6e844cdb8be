#!/usr/bin/env bash
# Checks README's install step: `make install` into a staging folder (DESTDIR) puts the binary,
# the man page and bash/zsh/fish completions generated from the argument definitions, and the
# demo data where `llamakit demo` finds them. Run from the repository root.
set -euo pipefail
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
make --no-print-directory install DESTDIR="$stage" PREFIX=/usr/local >/dev/null
prefix="$stage/usr/local"
fail() { echo "check_install: $*" >&2; exit 1; }

for f in bin/llamakit share/man/man1/llamakit.1 share/bash-completion/completions/llamakit \
  share/zsh/site-functions/_llamakit share/fish/vendor_completions.d/llamakit.fish \
  share/llamakit/demo/models/m0/hf/model.safetensors share/llamakit/demo/benchmarks/arc/ARC-Easy/ARC-Easy-Test.jsonl; do
  [ -s "$prefix/$f" ] || fail "missing $f"
done

# The man page documents every subcommand (the list comes from the binary's own help).
subcommands=$("$prefix/bin/llamakit" --help | sed -n '/^SUBCOMMANDS:/,/^  See/p' | grep -E '^  [a-z0-9-]+ ' | awk '{print $1}')
[ -n "$subcommands" ] || fail "no subcommands in --help"
grep -q '^\.Dt LLAMAKIT 1' "$prefix/share/man/man1/llamakit.1" || fail "llamakit.1 is not an mdoc page"
for c in $subcommands; do grep -q "^\.It Em $c\$" "$prefix/share/man/man1/llamakit.1" || fail "llamakit.1 lacks $c"; done
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=100 man -l "$prefix/share/man/man1/llamakit.1" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "man warns: $warnings"
fi

# bash completes subcommand names and the values of --type.
words=$(bash -c 'source "$1"; COMP_WORDS=(llamakit con); COMP_CWORD=1; COMP_LINE="llamakit con"; COMP_POINT=${#COMP_LINE}
  _llamakit llamakit con llamakit; echo "${COMPREPLY[*]}"' _ "$prefix/share/bash-completion/completions/llamakit")
[ "$words" = "convert" ] || fail "bash completes 'llamakit con' as '$words'"
types=$(bash -c 'source "$1"; COMP_WORDS=(llamakit convert a b --type q4_k); COMP_CWORD=5; COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
  _llamakit llamakit q4_k --type; echo "${COMPREPLY[*]}"' _ "$prefix/share/bash-completion/completions/llamakit")
[ "$types" = "q4_k_m" ] || fail "bash completes 'convert --type q4_k' as '$types'"
grep -q "^complete -c .llamakit. " "$prefix/share/fish/vendor_completions.d/llamakit.fish" || fail "fish completions"
grep -q "^#compdef llamakit" "$prefix/share/zsh/site-functions/_llamakit" || fail "zsh completions"

# The installed binary runs the demo from anywhere, on the installed data.
out=$(cd / && "$prefix/bin/llamakit" demo 2>&1) || fail "llamakit demo failed: $out"
[ "$(grep -c '^== [1-7]/7 ' <<<"$out")" = 7 ] || fail "llamakit demo did not run its 7 steps"
grep -q "share/llamakit/demo/models/m0/hf" <<<"$out" || fail "llamakit demo did not use the installed data"
echo "check_install: binary, man page, bash/zsh/fish completions and demo data installed and working"
