#!/bin/sh
# `iovirt run`'s sandbox end to end (docs/security.md): a guest that makes a
# thread attempt a forbidden system call (a NIC on the test-only sandbox-trip
# back-end) ends the VM with exit 159 and the call named; the same guest on
# ordinary back-ends, and on sandbox-trip with --no-sandbox, runs to its end.
# Usage: test-sandbox.sh IOVIRT TRIP.elf HOOKS (HOOKS: 1 when built with -Dtest_hooks)
iovirt=$1 trip=$2 hooks=$3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable; the same test runs inside the lab as lab-vmm-tier (meson test --suite lab)"
	exit 77
fi
if [ "$hooks" != 1 ]; then
	echo "SKIP-IN-LAB: built without -Dtest_hooks (the sandbox-trip back-end)"
	exit 77
fi

# expect STATUS PATTERN ARGS...: iovirt run ARGS exits STATUS, PATTERN (grep) in its output
expect() {
	want=$1 pattern=$2
	shift 2
	timeout 60 "$iovirt" run --guest "$trip" --mem 64M "$@" >"$out" 2>"$err" </dev/null
	got=$?
	[ "$got" = "$want" ] || fail "iovirt run $*: exit $got, expected $want"
	grep -q -- "$pattern" "$out" "$err" || fail "iovirt run $*: no '$pattern' in the output"
	echo "ok: iovirt run $* -> $got: $(grep -h -- "$pattern" "$out" "$err" | head -1)"
}

# virtio-net transmits on its I/O thread, the e1000 on the vCPU that writes TDT.
expect 159 'sandbox: virtio-net [0-9a-f:.]* made a forbidden system call openat ([0-9]*)$' \
	--net virtio,backend=sandbox-trip
expect 159 'sandbox: \(vCPU 0\|e1000 [0-9a-f:.]*\) made a forbidden system call openat ([0-9]*)$' \
	--net e1000,backend=sandbox-trip
grep -q "frames sent" "$out" && fail "the guest ran on after the forbidden call"
# Allowed: both models' threads and back-ends at work, two vCPUs, console input from a pipe.
expect 0 "frames sent on 4 NICs" --cpus 2 --net virtio,backend=sink --net e1000,backend=sink \
	--net virtio,backend=loop --net e1000,backend=gen:count=5
expect 0 "frames sent on 1 NICs" --no-sandbox --net virtio,backend=sandbox-trip
echo "ok: console input thread" | timeout 60 "$iovirt" run --guest "$trip" --mem 64M \
	--net e1000,backend=sink >"$out" 2>"$err" || fail "console input from a pipe: exit $?"
grep -q "frames sent on 1 NICs" "$out" || fail "console input from a pipe: no frames sent"
echo "ok: console input from a pipe"
