# Reading a lab serial log into a verdict (sourced).
#
# Markers printed by the lab's /init (lab/rootfs/init):
#   IOVIRT-LAB-BOOTED: <scenario> ...          /init started
#   IOVIRT-LAB-CHECK: ok|FAIL <what>           one check of the scenario
#   IOVIRT-LAB-RESULT: <scenario> PASS|FAIL <detail>   the scenario's status

LAB_OOPS_RE='Kernel panic|Oops: |BUG: |kernel BUG at|general protection fault|Unable to handle kernel'

# When the lab's own kernel failed in log $1 (an oops, or a task hung in the
# kernel), prints what it printed from there on and returns 0; else returns 1.
# Such a fault lies below the code under test: in the lab kernel, its nested KVM
# or QEMU's emulated SVM. The log must hold only the lab kernel's console and
# the project's own output (no Linux guest's console), or the test says it may.
lab_log_fault() {
	local at
	at=$(grep -a -n -m1 -E "$LAB_OOPS_RE|blocked for more than [0-9]+ seconds" "$1" | cut -d: -f1)
	[ -n "$at" ] || return 1
	echo "the lab kernel failed (serial log $1, line $at on):"
	sed -n "$((at > 5 ? at - 5 : 1)),$((at + 45))p" "$1" | tr -d '\r'
	return 0
}

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

# The vmm tier's markers (lab/scenarios/vmm-tier.sh), one pair per test:
#   IOVIRT-VMM-TEST-START: <name> limit <s> s at <uptime> s
#   IOVIRT-VMM-TEST-RESULT: <name> PASS|SKIP|FAIL <exit status or why> (<s> s)

# Prints the lines of log $1 from test $2's start marker to its result marker (or
# to the end of the log when the result is missing), without carriage returns.
lab_vmm_section() {
	tr -d '\r' <"$1" | awk -v start="IOVIRT-VMM-TEST-START: $2 " -v end="IOVIRT-VMM-TEST-RESULT: $2 " '
		index($0, start) { p = 1 }
		p { print }
		p && index($0, end) { exit }'
}

# Prints test $2's verdict from log $1: "PASS|SKIP|FAIL <detail>" from its result
# marker, or a FAIL that says whether the test started. Returns 1 unless PASS or SKIP.
lab_vmm_verdict() {
	local log=$1 name=$2 result
	result=$(tr -d '\r' <"$log" | grep -a -o -m 1 "IOVIRT-VMM-TEST-RESULT: $name .*")
	if [ -z "$result" ]; then
		if grep -a -q "IOVIRT-VMM-TEST-START: $name " "$log"; then
			echo "FAIL missing marker 'IOVIRT-VMM-TEST-RESULT: $name': it started but never reported"
		else
			echo "FAIL missing marker 'IOVIRT-VMM-TEST-START: $name': it never started"
		fi
		return 1
	fi
	result=${result#"IOVIRT-VMM-TEST-RESULT: $name "}
	echo "$result"
	case $result in
	PASS* | SKIP*) return 0 ;;
	*) return 1 ;;
	esac
}
