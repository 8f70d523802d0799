#!/bin/bash
# One step of a sharded regrade, for every assignment of a course (what both cluster recipes run):
#
#   deploy/each-assignment.sh grade|merge SUBMISSIONS OUT [ASSIGNMENT...]
#
# SUBMISSIONS/<assignment>.zip (a Gradescope "Export Submissions" zip) or SUBMISSIONS/<assignment>/ (notebooks) per
# assignment; every one found there when none is named. Results go to OUT/<assignment>/.
#   grade: this task's shard of each, all in one process (opsgrade course --shard auto: Slurm array task or
#          Kubernetes Indexed Job; exit 2 when an assignment's input cannot be read, the others graded; 3 when a
#          submission hit a grader error)
#   merge: each assignment's grades.csv and report.html (opsgrade merge; refuses missing, stale or other-version shards)
# Environment: OPSGRADE (the opsgrade command; default opsgrade on PATH), OPSGRADE_WORKERS (grading processes;
# default all cores), OPSGRADE_MERGE_WAIT (seconds a merge waits for shards still running; default 0).
# Every assignment is attempted; merge's exit status is the last failure's (0 when all succeeded).
set -uo pipefail

step=${1:?usage: $0 grade|merge SUBMISSIONS OUT [ASSIGNMENT...]}
submissions=${2:?SUBMISSIONS} out=${3:?OUT}
shift 3
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
    for entry in "$submissions"/*; do
        name=$(basename "$entry" .zip)
        if [ "$entry" = "$submissions/$name.zip" ] || { [ -d "$entry" ] && [ ! -e "$entry.zip" ]; }; then
            names+=("$name")
        fi
    done
fi
[ "${#names[@]}" -gt 0 ] || { echo "no <assignment>.zip or <assignment>/ in $submissions" >&2; exit 2; }

if [ "$step" = grade ]; then  # every assignment in one opsgrade process: one start-up per task, not per assignment
    picks=()
    for name in "${names[@]}"; do picks+=(-a "$name"); done
    exec "${OPSGRADE:-opsgrade}" course "$submissions" -o "$out" "${picks[@]}" --shard auto \
        --workers "${OPSGRADE_WORKERS:-0}"
fi

status=0
for name in "${names[@]}"; do
    input=$submissions/$name
    [ -e "$input.zip" ] && input=$input.zip
    case $step in
        grade) "${OPSGRADE:-opsgrade}" grade -a "$name" "$input" -o "$out/$name" --shard auto \
                   --workers "${OPSGRADE_WORKERS:-0}" || status=$? ;;
        merge) "${OPSGRADE:-opsgrade}" merge -a "$name" "$input" -o "$out/$name" \
                   --wait "${OPSGRADE_MERGE_WAIT:-0}" || status=$? ;;
        *) echo "unknown step $step (grade or merge)" >&2; exit 2 ;;
    esac
done
exit "$status"
