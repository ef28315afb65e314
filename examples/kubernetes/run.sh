#!/bin/sh
# Runs the sharded benchmark on Kubernetes and merges it:
#   examples/kubernetes/run.sh [LEAD_SECONDS]
# LEAD_SECONDS (default 90) is how far ahead the common start is: every pod must
# be scheduled, pulled and waiting by then (a late pod starts late and
# `tokbench merge` aligns it by its clock, but its queries are then late too).
set -eu
here=$(dirname "$0")
lead=${1:-90}
run_id=run-$(date -u +%Y%m%d-%H%M%S)
start_at=$(( $(date +%s) + lead ))
fill() { sed -e "s/RUN_ID/$run_id/g" -e "s/START_AT/$start_at/g" "$1"; }

kubectl apply -f "$here/pvc.yaml"
kubectl delete job tokbench-shards tokbench-merge --ignore-not-found
fill "$here/shards-job.yaml" | kubectl apply -f -
echo "run $run_id: shards start at $(date -u -d "@$start_at" +%FT%TZ 2>/dev/null || echo "$start_at")"
kubectl wait --for=condition=complete --timeout=2h job/tokbench-shards
fill "$here/merge-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=30m job/tokbench-merge
kubectl logs job/tokbench-merge
echo "merged result: /results/$run_id/merged/result.json on the tokbench-results volume"
