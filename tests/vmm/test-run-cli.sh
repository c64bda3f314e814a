#!/bin/sh
# `iovirt run` end to end: exit status and messages for poweroff, a finished
# guest image, a triple fault, a timeout, and bad kernels, images and sizes.
# Usage: test-run-cli.sh IOVIRT HELLO.elf POWEROFF.elf CRASH.elf HANG.elf FIRST.elf REBOOT.elf
iovirt=$1 hello=$2 poweroff=$3 crash=$4 hang=$5 reboot=$7
out=$(mktemp) err=$(mktemp) junk=$(mktemp)
trap 'rm -f "$out" "$err" "$junk"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable; the same test runs inside the lab as lab-vmm-tier (meson test --suite lab)"
	exit 77
fi

# expect STATUS PATTERN-IN-OUTPUT ARGS...
expect() {
	want=$1 pattern=$2
	shift 2
	timeout 60 "$iovirt" run "$@" >"$out" 2>"$err" </dev/null
	got=$?
	[ "$got" = "$want" ] || fail "iovirt run $*: exit $got, expected $want"
	grep -q -- "$pattern" "$out" "$err" || fail "iovirt run $*: no '$pattern' in the output"
	echo "ok: iovirt run $* -> $got"
}

expect 0 "hello from cpu 1 of 2 (ucall)" --guest "$hello" --cpus 2 --mem 64M
expect 0 "powering off from cpu 0 of 3" --guest "$poweroff" --cpus 3 --mem 64M
expect 0 "first ucall from the guest after" --guest "$hello" --mem 64M --stats
expect 1 "triple fault" --guest "$crash" --mem 64M
expect 1 "timeout" --guest "$hang" --mem 64M --timeout 1
expect 1 "No such file" --kernel /nonexistent/vmlinux --mem 64M
head -c 100000 /dev/urandom >"$junk"
expect 1 "not a Linux kernel" --kernel "$junk" --mem 64M
expect 1 "not a guest image" --guest "$junk" --mem 64M
expect 2 "needs at least" --kernel "$junk" --mem 16M
expect 2 "multiple of 2 MiB" --guest "$hello" --mem 3M
expect 2 "exactly one of" --guest "$hello" --kernel "$junk"
expect 2 "unknown device" --guest "$hello" --device nosuchdevice
expect 0 "hello from cpu 0 of 1" --guest "$hello" --mem 64M --device pci-testdev
# A guest that reboots twice runs again each time (the default), or ends the run with --reboot exit.
expect 0 "boot 2" --guest "$reboot" --cpus 2 --mem 64M --device pci-testdev
[ "$(grep -c 'restarting the guest' "$err")" = 2 ] || fail "--reboot restart: expected two restarts"
grep -q "boot 1" "$out" || fail "--reboot restart: the second boot printed nothing"
expect 3 "exiting (--reboot exit)" --guest "$reboot" --mem 64M --reboot exit
grep -q "boot 1" "$out" && fail "--reboot exit: the guest ran again"
expect 2 "expected restart or exit" --guest "$reboot" --reboot sometimes
# --hugetlb: runs when 32 free 2 MiB pages are reserved, otherwise a clear error
free_huge=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_huge:-0}" -ge 32 ]; then
	expect 0 "hello from cpu 0 of 1" --guest "$hello" --mem 64M --hugetlb
else
	expect 1 "from huge pages" --guest "$hello" --mem 64M --hugetlb
fi
console=$(mktemp)
timeout 60 "$iovirt" run --guest "$poweroff" --mem 64M --console "$console" >"$out" 2>"$err" </dev/null ||
	fail "--console: exit $?"
grep -q "powering off" "$console" || fail "--console: file lacks the serial output"
rm -f "$console"
echo "ok: --console FILE"
