#!/usr/bin/env bash
# lab-vmm-tier can fail, without booting a lab: lab/run-vmm-tier runs with a
# stand-in for lab/run-scenario that runs lab/scenarios/vmm-tier.sh under busybox
# sh on this host, over made-up tests: a failure, a skip without a lab reason, a
# hang (its whole session killed), a sanitizer-style abort and a missing program
# must each fail with their own verdict, a SKIP-IN-LAB skip and a bash script
# must pass; lab_vmm_verdict must name missing markers.
# usage: test-vmm-tier-harness.sh SOURCE-ROOT WORK-DIR
# Files below /tmp or /run go to /vmm-tier/files in a lab, which the stand-in
# does not have: a WORK-DIR there (a build tree in /tmp) is replaced by /var/tmp.
set -u
top=$1
command -v busybox >/dev/null || { echo "SKIP: busybox is not installed"; exit 77; }
case $2 in
/tmp/* | /run/*) base=/var/tmp ;;
*) base=$2 ;;
esac
mkdir -p "$base" && work=$(mktemp -d "$base/vmm-tier-harness.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# The stand-in: a lab whose /init ran the scenario and passed (status 0), so
# only the per-test verdicts can fail the run.
cp -a "$top/lab" "$work/lab"
sed "s#/tmp/lab-detail#$work/lab-detail#g" "$top/lab/rootfs/lib.sh" >"$work/lib.sh"
cat >"$work/lab/run-scenario" <<EOF
#!/usr/bin/env bash
while [ \$# -gt 0 ]; do
	case \$1 in --out) out=\$2 ;; --overlay) overlay=\$2 ;; esac
	shift
done
IOVIRT_LAB_LIB=$work/lib.sh IOVIRT_VMM_TIER_DIR=\$overlay/vmm-tier IOVIRT_VMM_TIER_TMP=\$out/tmp \
	busybox sh $work/lab/scenarios/vmm-tier.sh >"\$out/vmm-tier.log" 2>&1
exit 0
EOF
chmod +x "$work/lab/run-scenario"
# shellcheck disable=SC2016 # the script's own expansions
printf '#!/usr/bin/env bash\na=(x y); [[ ${#a[@]} -eq 2 ]] && echo "bash array ${a[*]} relative $1"\n' >"$work/bash-test"
chmod +x "$work/bash-test"
echo data >"$work/data"

# expect_line OUTPUT REGEX: OUTPUT has a line matching REGEX.
expect_line() {
	grep -q -E -- "$2" <<<"$1" || fail "no line matching /$2/"
}

run_tier() {
	(cd "$work" && "$work/lab/run-vmm-tier" --out "$work/out" "$@" 2>&1)
}

out=$(run_tier \
	--test pass 10 /bin/sh -c 'echo output-of-pass' \
	--test fail 10 /bin/sh -c 'echo failing; exit 3' \
	--test skip 10 /bin/sh -c 'echo "SKIP: cannot open /dev/kvm"; exit 77' \
	--test hang 2 /bin/sh -c "sleep 60 & echo \$! >$work/hang.pid; sleep 60" \
	--test abort 10 /bin/sh -c 'kill -ABRT $$' \
	--test missing 10 "$work/no-such-program" \
	--test skip-ok 10 /bin/sh -c 'echo "SKIP-IN-LAB: needs huge pages"; exit 77' \
	--test bash 10 "$work/bash-test" data)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || fail "run-vmm-tier exited $rc with failing tests, expected 1"
expect_line "$out" '^output-of-pass$'
expect_line "$out" '^  pass +PASS exit 0'
expect_line "$out" '^  fail +FAIL exit 3'
expect_line "$out" '^  skip +FAIL exit 77 \(skip\) inside the lab, which has /dev/kvm: SKIP: cannot open'
expect_line "$out" '^  hang +FAIL timed out after 2 s'
expect_line "$out" '^  abort +FAIL exit 134'
expect_line "$out" '^  missing +FAIL exit 127'
expect_line "$out" '^  skip-ok +SKIP exit 77: needs huge pages'
expect_line "$out" '^bash array x y relative /.*/data$'
expect_line "$out" '^  bash +PASS exit 0'
sleep 0.5
if [ -s "$work/hang.pid" ] && kill -0 "$(cat "$work/hang.pid")" 2>/dev/null; then
	fail "the hanging test's background child survived the time limit"
	kill "$(cat "$work/hang.pid")"
fi

out=$(run_tier --test pass 10 /bin/true \
	--test skip-ok 10 /bin/sh -c 'echo "SKIP-IN-LAB: needs huge pages"; exit 77')
rc=$?
[ "$rc" -eq 0 ] || { echo "$out"; fail "run-vmm-tier exited $rc with passing tests, expected 0"; }

# shellcheck source=/dev/null
. "$top/lab/lib/verdict.sh"
printf 'IOVIRT-VMM-TEST-START: a limit 9 s at 1 s\r\nIOVIRT-VMM-TEST-RESULT: a PASS exit 0 (1 s)\r\nIOVIRT-VMM-TEST-START: b limit 9 s at 2 s\r\n' >"$work/log"
[ "$(lab_vmm_verdict "$work/log" a)" = "PASS exit 0 (1 s)" ] || fail "verdict of a: $(lab_vmm_verdict "$work/log" a)"
lab_vmm_verdict "$work/log" b | grep -q "started but never reported" || fail "verdict of b: $(lab_vmm_verdict "$work/log" b)"
lab_vmm_verdict "$work/log" c | grep -q "it never started" || fail "verdict of c: $(lab_vmm_verdict "$work/log" c)"
lab_vmm_verdict "$work/log" b >/dev/null && fail "a missing result marker passed"
[ "$status" -eq 0 ] && echo "ok: the vmm tier's runner fails on each kind of failure"
exit "$status"
