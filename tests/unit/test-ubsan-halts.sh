#!/bin/sh
# A UBSan report fails the test that hits it: the planted signed overflow in
# ubsan-canary must end the process with a non-zero status and a report, both
# as built (-fno-sanitize-recover) and under the test environment (UBSAN_OPTIONS).
# usage: test-ubsan-halts.sh CANARY SANITIZERS   (SANITIZERS: the build's b_sanitize)
canary=$1 sanitizers=$2
case ",$sanitizers," in
*,undefined,*) ;;
*) echo "SKIP: this build has no UBSan (b_sanitize=$sanitizers)"; exit 77 ;;
esac
case ":${UBSAN_OPTIONS:-}:" in
*:halt_on_error=1:*) ;;
*) echo "FAIL: the test environment lacks UBSAN_OPTIONS=halt_on_error=1 (got '${UBSAN_OPTIONS:-}')"; exit 1 ;;
esac
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for mode in env build; do
	if [ "$mode" = build ]; then
		env -u UBSAN_OPTIONS "$canary" >/dev/null 2>"$err"
	else
		"$canary" >/dev/null 2>"$err"
	fi
	status=$?
	if [ "$status" -eq 0 ]; then
		echo "FAIL ($mode): the planted UBSan error did not stop the canary"; cat "$err"; exit 1
	fi
	if ! grep -q 'runtime error: signed integer overflow' "$err"; then
		echo "FAIL ($mode): exit $status without a UBSan report"; cat "$err"; exit 1
	fi
	echo "ok ($mode): exit $status with: $(grep -m1 'runtime error' "$err")"
done
