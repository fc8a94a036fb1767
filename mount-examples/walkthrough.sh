#!/bin/sh
# walkthrough.sh MOUNT [NAMESPACE] - the first exercise of every Argo user,
# with plain shell tools on an argofs mount: create a workflow template with
# cp, submit it with a parameter, wait for the workflow to end, read its log.
# Each step prints what it does; the same commands work by hand.
set -eu
MOUNT=${1:?usage: walkthrough.sh MOUNT [NAMESPACE]}
NS=${2:-argo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n$ %s\n' "$*"; }

# 1. A workflow template, as a local YAML file: what `argo template create`
#    would take (greet.yaml, next to this script).
cp "$(dirname "$0")/greet.yaml" "$work/greet.yaml"

# 2. Create it: copy it into the namespace's workflow-templates. cp fails,
#    with the reason in .argofs/errors, when the server refuses it.
step cp greet.yaml "$MOUNT/$NS/workflow-templates/"
cp "$work/greet.yaml" "$MOUNT/$NS/workflow-templates/"
step ls -l "$MOUNT/$NS/workflow-templates/"
ls -l "$MOUNT/$NS/workflow-templates/"

# 3. Submit it, with a parameter (as `argo submit --from workflowtemplate/greet
#    -p message=...`). Reading the entry back gives the new workflow's name.
step echo "message=hello from argofs" ">" "$MOUNT/$NS/submit/greet"
echo "message=hello from argofs" >"$MOUNT/$NS/submit/greet"
wf=$(cat "$MOUNT/$NS/submit/greet")
echo "submitted $wf"

# 4. Wait for it to end: its phase is a one-word file.
step cat "$MOUNT/$NS/workflows/$wf/phase"
tries=0
while :; do
	phase=$(cat "$MOUNT/$NS/workflows/$wf/phase")
	case $phase in
	Succeeded | Failed | Error) break ;;
	esac
	tries=$((tries + 1))
	if [ "$tries" -gt 300 ]; then
		echo "$wf is still $phase after 5 minutes" >&2
		exit 1
	fi
	sleep 1
done
echo "$phase"

# 5. What it printed, each line prefixed with its pod's name (as `argo logs`);
#    `tail -f` on this file follows a workflow that is still running.
step cat "$MOUNT/$NS/workflows/$wf/log"
cat "$MOUNT/$NS/workflows/$wf/log"
[ "$phase" = Succeeded ]
