#!/usr/bin/env bash
# expect-report.sh COMMAND [ARGS...]: passes (exit 0) only when COMMAND fails
# with a sanitizer report (AddressSanitizer, LeakSanitizer or UBSan's
# "runtime error"). Proves that a replayed regression input catches the bug
# it was filed for: run on a build with the bug put back, it must fail.
set -uo pipefail
out=$("$@" 2>&1)
rc=$?
report=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' <<<"$out")
if [ "$rc" -ne 0 ] && [ -n "$report" ]; then
	echo "expect-report: failed as it must (exit $rc): $report"
	exit 0
fi
echo "$out" | tail -n 20
echo "expect-report: expected a sanitizer report, got exit $rc and ${report:-no report}"
exit 1
