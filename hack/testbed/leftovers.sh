#!/usr/bin/env bash
# Proves that a test run left no testbed behind.
#   leftovers.sh snapshot FILE   records the testbed directories that exist now (a `make testbed-up` one, say)
#   leftovers.sh check FILE      fails if a testbed directory, a process running from one, or an acme6-
#                                network namespace appeared since
set -euo pipefail
root=${ACME6_TESTBED_TMPDIR:-${TMPDIR:-/tmp}}
footprints() {
  find "$root" -maxdepth 1 -name 'acme6-testbed-*' 2>/dev/null
  # Network namespaces the agent tests create; listed beside the directories so one snapshot covers both.
  ip netns list 2>/dev/null | awk '$1 ~ /^acme6-/ {print "netns:" $1}'
}
sorted_footprints() { footprints | sort; }
# Processes whose command line names a testbed directory (etcd --data-dir, apiserver cert files, ...).
procs() {
  local pid cmd
  for pid in $(pgrep -f 'acme6-testbed-' || true); do
    [[ $pid == "$$" ]] && continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    [[ $cmd == *leftovers.sh* ]] && continue
    printf '%s %s\n' "$pid" "$cmd"
  done
}
case ${1:-} in
  snapshot) sorted_footprints >"$2" ;;
  check)
    new_dirs=$(comm -13 "$2" <(sorted_footprints))
    known=$(cat "$2")
    new_procs=$(procs | { if [[ -n $known ]]; then grep -vF "$known" || true; else cat; fi; })
    if [[ -n $new_dirs || -n $new_procs ]]; then
      echo "leftovers after the tests:" >&2
      [[ -n $new_dirs ]] && printf '  %s\n' $new_dirs >&2
      [[ -n $new_procs ]] && printf '  process %s\n' "$new_procs" >&2
      exit 1
    fi
    echo "leftovers: none (no testbed directory, process or network namespace remains)"
    ;;
  *) echo "usage: $0 snapshot|check FILE" >&2; exit 2 ;;
esac
