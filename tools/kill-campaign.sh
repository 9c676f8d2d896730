#!/usr/bin/env bash
# A long random-instant kill campaign (issue 17): RandomKillCampaignTests with
# many rounds. Each round starts `tls install` on a real nginx, kill -9s the
# command, its job's process or both after a random delay, runs `tls recover`
# and checks nginx -t, the served leaf against the configuration (old or new),
# a closed journal and no backups or temporaries left.
#
# Usage: tools/kill-campaign.sh [ROUNDS (default 200)] [SEED (default random)]
# The seed is printed; the same seed and rounds repeat the same delays and targets.
# Needs the test build: swift build --build-tests
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "kill campaign: $rounds rounds, seed $seed" >&2
started=$(date +%s)
status=0
OG_KILL_ROUNDS=$rounds OG_KILL_SEED=$seed \
  swift test --skip-build --filter RandomKillCampaignTests 2>&1 \
  | grep -E "kill campaign|✘|Expectation failed|passed after|failed after" || status=$?
echo "kill campaign: $rounds rounds, seed $seed, $(( $(date +%s) - started )) s" >&2
exit $status
