# Reading a lab serial log into a verdict (sourced).
#
# Markers printed by the lab's /init (lab/rootfs/init):
#   IOVIRT-LAB-BOOTED: <scenario> ...          /init started
#   IOVIRT-LAB-CHECK: ok|FAIL <what>           one check of the scenario
#   IOVIRT-LAB-RESULT: <scenario> PASS|FAIL <detail>   the scenario's status

LAB_OOPS_RE='Kernel panic|Oops: |BUG: |kernel BUG at|general protection fault|Unable to handle kernel'

# Prints why log $1 of scenario $2 (QEMU status $3, limit $4 s) is a failure and
# returns 1, or returns 0 when the scenario passed and the kernel stayed healthy.
lab_log_verdict() {
	local log=$1 scn=$2 rc=$3 limit=$4 marker="IOVIRT-LAB-RESULT: $2" oops result
	oops=$(grep -a -m 1 -E "$LAB_OOPS_RE" "$log")
	if [ -n "$oops" ]; then
		echo "kernel oops or panic in the lab: $oops"
		return 1
	fi
	result=$(grep -a -o -m 1 "$marker .*" "$log" | tr -d '\r')
	if [ -z "$result" ]; then
		lab_log_missing "$log" "$marker" "$rc" "$limit"
		return 1
	fi
	case $result in
	"$marker PASS"*) ;;
	*)
		echo "scenario $scn failed: ${result#"$marker "}"
		grep -a '^IOVIRT-LAB-CHECK: FAIL' "$log" | tr -d '\r' | sed 's/^/  /'
		return 1 ;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "scenario $scn passed but the lab did not power off cleanly (QEMU status $rc)"
		return 1
	fi
	return 0
}

lab_log_missing() {
	local log=$1 marker=$2 rc=$3 limit=$4 why
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after $limit s"
	else
		why="QEMU exited with status $rc"
	fi
	if grep -a -q 'IOVIRT-LAB-BOOTED:' "$log"; then
		echo "missing marker '$marker': the lab's /init started but the scenario never reported ($why)"
	else
		echo "missing marker '$marker': the lab kernel never reached /init ($why)"
	fi
}
