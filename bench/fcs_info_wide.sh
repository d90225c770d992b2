#!/usr/bin/env bash
# Time and peak memory of `cytopipe info` (text, --json, --json --keywords) on an FCS 3.1 file
# with 100,000 described parameters ($PnN, $PnS, $PnB, $PnE, $PnR each: 500,000 keywords, an
# 8 MB TEXT) and one event. Issue 20: was 14.6 s and 483 MB for --json; it must stay linear.
#   bench/fcs_info_wide.sh [path/to/cytopipe] [parameters=100000]
# Needs GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/cytopipe}
par=${2:-100000}
[ -x "$binary" ] || { echo "no cytopipe binary at $binary (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file="$work/wide_$par.fcs"
# TEXT with fixed-width (20-digit) data offsets, so its length is known before they are.
text="/\$BYTEORD/1,2,3,4/\$DATATYPE/F/\$MODE/L/\$NEXTDATA/0/\$PAR/$par/\$TOT/1/"
text+=$(seq 1 "$par" | awk '{printf "$P%dN/Ch%d/$P%dS/Marker %d/$P%dB/32/$P%dE/0,0/$P%dR/262144/", $1, $1, $1, $1, $1, $1, $1}')
template='$BEGINDATA/00000000000000000000/$ENDDATA/00000000000000000000/'
begin=$((58 + ${#text} + ${#template})); end=$((begin + par * 4 - 1))
text+=$(printf '$BEGINDATA/%020d/$ENDDATA/%020d/' "$begin" "$end")
{
  printf 'FCS3.1    %8d%8d%8d%8d%8d%8d' 58 $((58 + ${#text} - 1)) 0 0 0 0
  printf '%s' "$text"
  head -c $((par * 4)) /dev/zero
} > "$file"
echo "file: $par parameters, $(stat -c %s "$file") bytes"

measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$binary" info "$@" "$file" > /dev/null
  read -r elapsed user sys kb < "$work/time.txt"
  printf '%-22s %6.2f s elapsed  %6.2f s CPU  %7.1f MB peak RSS\n' "$label" "$elapsed" \
    "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $kb / 1024" | bc)"
}
measure "info"
measure "info --json" --json
measure "info --json --keywords" --json --keywords
