#!/bin/sh
# stage_order_test.sh CMAKE SRCROOT WORK STAGES -- the stage-order check of
# the build (cmake/stage_order.cmake). Passes on the real tree (every
# stage); on a copy of src/ where src/flow includes a header of the later
# stage incident, the check must fail and name the file, the line and the
# forbidden stage; an include of the same stage or of core still passes.
set -u
CMAKE=$1 ROOT=$2 WORK=$3 STAGES=$4
SCRIPT=$ROOT/cmake/stage_order.cmake
rm -rf "$WORK" && mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
for s in $(echo "$STAGES" | tr ';' ' '); do
  "$CMAKE" "-DSTAGES=$STAGES" -DSTAGE="$s" -DSRC="$ROOT/src" -P "$SCRIPT" \
    > "$WORK/ok-$s.log" 2>&1 || { cat "$WORK/ok-$s.log"; fail "stage $s of the real tree refused"; }
done
cp -r "$ROOT/src" "$WORK/src"
bad=$WORK/src/flow/flow_table.c
# a harmless include of core and of its own stage first, then the bad one
line=$(grep -n '^#include' "$bad" | tail -1 | cut -d: -f1)
sed -i "${line}a #include \"core/rc.h\"\n#include \"flow/flow.h\"\n#include \"incident/incident.h\"" "$bad"
want=$(grep -n '^#include "incident/incident.h"' "$bad" | cut -d: -f1)
if "$CMAKE" "-DSTAGES=$STAGES" -DSTAGE=flow -DSRC="$WORK/src" -P "$SCRIPT" > "$WORK/bad.log" 2>&1; then
  cat "$WORK/bad.log"; fail "an include of a later stage passed"
fi
grep -q "src/flow/flow_table.c:$want: includes \"incident/incident.h\": stage incident comes after flow" "$WORK/bad.log" || {
  cat "$WORK/bad.log"; fail "the message does not name file:line and the stage"; }
[ "$(grep -c 'includes "' "$WORK/bad.log")" -eq 1 ] || { cat "$WORK/bad.log"; fail "allowed includes were refused too"; }
# a later stage including an earlier one is fine; an earlier one including
# the engine (last) is not
"$CMAKE" "-DSTAGES=$STAGES" -DSTAGE=incident -DSRC="$WORK/src" -P "$SCRIPT" > /dev/null 2>&1 ||
  fail "stage incident refused"
echo '#include "engine/engine.h"' >> "$WORK/src/output/eve.h"
"$CMAKE" "-DSTAGES=$STAGES" -DSTAGE=output -DSRC="$WORK/src" -P "$SCRIPT" > "$WORK/bad2.log" 2>&1 &&
  fail "output including the engine passed"
grep -q "src/output/eve.h:[0-9]*: includes \"engine/engine.h\": stage engine comes after output" "$WORK/bad2.log" ||
  { cat "$WORK/bad2.log"; fail "second message wrong"; }
echo "stage order: ok"
