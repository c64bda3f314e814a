# The vmm test tier on the lab's /dev/kvm: every test that lab/run-vmm-tier put in /vmm-tier/tests.
#
# /vmm-tier/tests (written by lab/run-vmm-tier) is sourced: one line per test,
#   vmm_test NAME LIMIT-S PROGRAM ARGS...
# with every file it names copied into the lab at its host path (or below
# /vmm-tier/files, for /tmp and /run). /vmm-tier/env
# exports the sanitizer options of the host's test run. Each test prints:
#   IOVIRT-VMM-TEST-START: NAME limit LIMIT s at UPTIME s
#   (its stdout and stderr, live)
#   IOVIRT-VMM-TEST-RESULT: NAME PASS|SKIP|FAIL <exit status or why>
# Exit 77 is a failure here (the lab has /dev/kvm) unless the test printed a line
# "SKIP-IN-LAB: <why>": then it is a SKIP with that reason.
# The environment can move /lab/lib.sh (IOVIRT_LAB_LIB), /vmm-tier (IOVIRT_VMM_TIER_DIR)
# and the work directory (IOVIRT_VMM_TIER_TMP): tests/lab/test-vmm-tier-harness.sh
# runs this file on the host.
# shellcheck source=/dev/null
. "${IOVIRT_LAB_LIB:-/lab/lib.sh}"

VMM_DIR=${IOVIRT_VMM_TIER_DIR:-/vmm-tier}
VMM_TMP=${IOVIRT_VMM_TIER_TMP:-/tmp/vmm-tier}

vmm_uptime() {
	cut -d' ' -f1 /proc/uptime
}

# Uptime in hundredths of a second.
vmm_uptime_cs() {
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}

# Runs PROGRAM ARGS... ($3...) in a session of its own with output to stdout and
# to file $2, killing the whole session after $1 seconds. Sets VMM_RC to the exit
# status, to "timeout" when the limit ran out, or to "none" when it never reported one.
vmm_run() {
	local limit=$1 out=$2 sidf=$2.sid rcf=$2.rc start now tee
	shift 2
	rm -f "$sidf" "$rcf"
	# shellcheck disable=SC2016 # expanded by the inner shell
	setsid sh -c 'sidf=$1 rcf=$2; shift 2; echo $$ >"$sidf"; "$@" </dev/null; echo $? >"$rcf"' \
		vmm-test "$sidf" "$rcf" "$@" 2>&1 | tee "$out" &
	tee=$!
	start=$(vmm_uptime_cs)
	while kill -0 "$tee" 2>/dev/null; do
		now=$(vmm_uptime_cs)
		if [ $((now - start)) -ge $((limit * 100)) ]; then
			[ -s "$sidf" ] && kill -KILL -- "-$(cat "$sidf")" 2>/dev/null
			wait "$tee"
			VMM_RC=timeout
			return
		fi
		sleep 0.5
	done
	wait "$tee"
	VMM_RC=none
	[ -s "$rcf" ] && VMM_RC=$(cat "$rcf")
}

# vmm_test NAME LIMIT-S PROGRAM ARGS...: one test of the tier, with its markers.
vmm_test() {
	local name=$1 limit=$2 out t0 rc verdict why
	shift 2
	out=$VMM_TMP/$name.out
	mkdir -p "$VMM_TMP/$name.cwd"
	t0=$(vmm_uptime)
	echo "IOVIRT-VMM-TEST-START: $name limit $limit s at $t0 s"
	cd "$VMM_TMP/$name.cwd" && vmm_run "$limit" "$out" "$@"
	cd /
	rc=$VMM_RC
	why="exit $rc"
	case $rc in
	0) verdict=PASS ;;
	77)
		why=$(grep -m 1 '^SKIP-IN-LAB:' "$out" | sed 's/^SKIP-IN-LAB: *//')
		if [ -n "$why" ]; then
			verdict=SKIP why="exit 77: $why"
		else
			verdict=FAIL why="exit 77 (skip) inside the lab, which has /dev/kvm: $(grep -m 1 'SKIP' "$out")"
		fi ;;
	timeout) verdict=FAIL why="timed out after $limit s" ;;
	none) verdict=FAIL why="no exit status (the test's shell was killed)" ;;
	*) verdict=FAIL ;;
	esac
	echo
	echo "IOVIRT-VMM-TEST-RESULT: $name $verdict $why ($(awk -v a="$t0" -v b="$(vmm_uptime)" 'BEGIN { printf "%.1f", b - a }') s)"
	if [ "$verdict" = FAIL ]; then
		lab_fail "vmm test $name: $why"
	else
		lab_pass "vmm test $name: $verdict $why"
	fi
}

if [ ! -f "$VMM_DIR/tests" ]; then
	lab_fail "no $VMM_DIR/tests: run this scenario with lab/run-vmm-tier"
	lab_done
fi
mkdir -p "$VMM_TMP"
lab_check "/dev/kvm is a character device" [ -c /dev/kvm ]
# shellcheck source=/dev/null
[ -f "$VMM_DIR/env" ] && . "$VMM_DIR/env"
# shellcheck source=/dev/null
. "$VMM_DIR/tests"
lab_done
