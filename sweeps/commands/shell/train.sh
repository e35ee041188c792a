#!/bin/sh
# Any language can report: one JSON object per line on the descriptor in $SWEEP_REPORT_FD,
# the decision ("continue N" / "prune N REASON") comes back on $SWEEP_DECISION_FD.
# Parameters arrive as arguments (--x=1.5 --shape=bowl) and as JSON in $SWEEP_PARAMS.
x=1; shape=bowl
for arg in "$@"; do
  case "$arg" in
    --x=*) x=${arg#--x=} ;;
    --shape=*) shape=${arg#--shape=} ;;
  esac
done
for epoch in 1 2 3 4 5; do
  # A curve falling towards f(x): (x-2)^2 for a bowl, |x-2| for a cone.
  loss=$(awk -v x="$x" -v e="$epoch" -v s="$shape" 'BEGIN { d = x - 2; f = (s == "bowl") ? d * d : (d < 0 ? -d : d); printf "%.6f", f + (5 - e) / 5 }')
  if [ -n "$SWEEP_REPORT_FD" ]; then
    echo "{\"epoch\": $epoch, \"loss\": $loss}" >&"$SWEEP_REPORT_FD"
    read -r decision <&"$SWEEP_DECISION_FD"
    case "$decision" in prune*) echo "pruned at epoch $epoch" >&2; exit 0 ;; esac
  else
    echo "epoch $epoch loss $loss"
  fi
done
