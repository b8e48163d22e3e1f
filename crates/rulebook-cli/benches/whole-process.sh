#!/bin/sh
# Whole-process time and peak memory of `rulebook eval`, per output format,
# at 10 000 and 100 000 units of generated Ziyuan data (the eight example
# units repeated, renamed and varied; see throughput.rs --write), next to
# reading and checking the same data alone (`rulebook check --data`).
# Prints one Markdown table row per run. Needs GNU time (/usr/bin/time).
#
#   sh crates/rulebook-cli/benches/whole-process.sh [UNITS...]
set -eu
cd "$(dirname "$0")/../../.."
cargo build --release -q
bin=target/release/rulebook
rules=rulebooks/ziyuan-2024.rules
mkdir -p target/bench-data
echo "| units | run | wall | CPU | peak memory | input |"
echo "|---|---|---|---|---|---|"
for n in ${@:-10000 100000}; do
  data=target/bench-data/units-$n.json
  [ -f "$data" ] || cargo bench -q -p rulebook-cli --bench throughput -- --write "$n" "$PWD/$data" >/dev/null
  size=$(( $(wc -c <"$data") / 1000000 ))
  run() {
    label=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o target/bench-data/time "$@" >/dev/null 2>target/bench-data/err ||
      { cat target/bench-data/err >&2; exit 1; }
    read -r wall user sys kb <target/bench-data/time
    cpu=$(awk "BEGIN { print $user + $sys }")
    echo "| $n | $label | $wall s | $cpu s | $(( kb / 1024 )) MB | $size MB |"
  }
  run "check --data (read and check only)" $bin check $rules --data "$data"
  run "eval (table)" $bin eval $rules "$data"
  for f in "csv --detail summary" "csv" "jsonl --detail summary" "jsonl" "json --detail items" "json"; do
    # shellcheck disable=SC2086
    run "eval --format $f" $bin eval $rules "$data" --format $f
  done
  run "eval --format xlsx -o FILE" $bin eval $rules "$data" --format xlsx -o target/bench-data/out.xlsx
  # The same rulebook with its one batch rank (item B9's rank among all
  # units) read from the unit's own data instead: its units score alone, so
  # CSV and summaries are scored while the file is read.
  alone=target/bench-data/ziyuan-no-rank.rules
  sed 's/tiers rank(certificates_new)/tiers certificates_new/' $rules >$alone
  run "eval (table), rulebook without rank()" $bin eval $alone "$data"
  run "eval --format csv, rulebook without rank()" $bin eval $alone "$data" --format csv
done
