#!/bin/sh
# install_test.sh SRC BUILD WORK -- `make install` with PREFIX and DESTDIR
# into a scratch folder: the binary runs, the manual page, the example
# configuration and the docs are where ward(1) says, and the page renders
# without a warning (groff -ww, and man -l when present).
set -eu
src=$1
build=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
dest="$work/stage"
fail=0
no() { echo "FAIL: $*"; fail=1; }
make -C "$src" --no-print-directory install BUILD="$build" PREFIX=/opt/ward \
  DESTDIR="$dest" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
root="$dest/opt/ward"
[ -x "$root/bin/ward" ] || no "bin/ward missing"
"$root/bin/ward" --version | grep -q '^ward ' || no "installed ward does not run"
[ -f "$root/share/man/man1/ward.1" ] || no "share/man/man1/ward.1 missing"
[ -f "$root/share/doc/ward/examples/ward.yaml" ] || no "example configuration missing"
cmp -s "$src/etc/ward.yaml" "$root/share/doc/ward/examples/ward.yaml" || no "example differs"
for d in README.md config.md detectors.md events.md incidents.md notifications.md \
         decoding.md detectors/smb.ms17-010.md; do
  [ -f "$root/share/doc/ward/$d" ] || no "share/doc/ward/$d missing"
done
# Nothing outside DESTDIR/PREFIX.
[ -z "$(find "$dest" -mindepth 1 -maxdepth 1 ! -name opt)" ] || no "files outside PREFIX"
page="$root/share/man/man1/ward.1"
warn=$(groff -ww -z -man "$page" 2>&1) || no "groff failed"
[ -z "$warn" ] || no "groff warnings: $warn"
if command -v man >/dev/null 2>&1; then
  out=$(MANWIDTH=80 man -l "$page" 2>"$work/man.err") || no "man -l failed"
  [ ! -s "$work/man.err" ] || no "man -l warnings: $(cat "$work/man.err")"
  # Every command is described.
  for c in analyze watch config incidents notify inbox reply report version; do
    echo "$out" | grep -q "ward $c" || no "ward.1 does not describe ward $c"
  done
  echo "$out" | grep -q "EXIT STATUS" || no "ward.1 has no EXIT STATUS"
fi
[ $fail = 0 ] && echo "install: ok"
exit $fail
