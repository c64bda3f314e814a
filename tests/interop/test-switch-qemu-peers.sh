#!/usr/bin/env bash
# Two QEMU guests on one iovirt switch (learning mode), each NIC a QEMU
# vhost-user front-end: the benchmark's guest image runs `reflect` on the NIC
# with BENCH_PEER_MAC (02:69:6f:76:00:02) in one and `pingpong peer=1` in the
# other, so every round trip crosses the switch twice and each guest verifies
# every byte it gets (guest/bench/bench.c). Polled at ring 3, so QEMU's TCG
# runs it too (QEMU 7.2 under TCG crashes only once vhost-user NICs use
# interrupts; see test-switch-qemu.sh). Checks: both guests report COUNT
# frames with no error, the switch counted COUNT frames in and out of each
# port, dropped none, and exits 0 on SIGTERM leaving no socket behind.
# usage: test-switch-qemu-peers.sh IOVIRT HUGEPAGES-SCRIPT QEMU-RUN BENCH-IMAGE
# Skips (77) without DPDK in this build, hugepages or QEMU.
set -uo pipefail
iovirt=$1 hugepages=$2 qemu_run=$3 image=$4
count=1000 size=128
tmp=$(mktemp -d /tmp/iovirt-switch-peers.XXXXXX)
swpid='' bpid=''
cleanup() {
	[ -n "$swpid" ] && kill -KILL "$swpid" 2>/dev/null
	[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in b.out a.out switch.out switch.err; do
		echo "--- $f:"
		tail -15 "$tmp/$f" 2>/dev/null
	done
	exit 1
}

out=$("$iovirt" switch --help 2>&1) || fail "iovirt switch --help failed"
grep -q "built without DPDK" <<<"$out" && { echo "SKIP: this iovirt was built without DPDK"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
out=$("$hugepages" 512 2>&1) || { echo "SKIP: no hugepages: $out"; exit 77; }

"$iovirt" switch --mbufs 4095 --port "$tmp/a.sock" --port "$tmp/b.sock" \
	>"$tmp/switch.out" 2>"$tmp/switch.err" &
swpid=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^switch: ready' "$tmp/switch.out" && break
	sleep 0.1
done
[ $i -lt 300 ] || fail "the switch did not start"

result="bench-result workload=%s size=$size nic=0 packets=$count .* errors=0 .* timeout=0 ok=1"
# shellcheck disable=SC2059 # the format is ours
"$qemu_run" --nics virtio --vhost-user "$tmp/b.sock" --macs 02:69:6f:76:00:02 --timeout 240 \
	--append "workload=reflect size=$size count=$count" --expect "$(printf "$result" reflect)" \
	"$image" >"$tmp/b.out" 2>&1 &
bpid=$!
for ((i = 0; i < 1200; i++)); do
	grep -q 'bench-start workload=reflect' "$tmp/b.out" && break
	kill -0 "$bpid" 2>/dev/null || fail "the reflecting guest ended before it started"
	sleep 0.1
done
[ $i -lt 1200 ] || fail "the reflecting guest did not start in 120 s"
# shellcheck disable=SC2059
"$qemu_run" --nics virtio --vhost-user "$tmp/a.sock" --timeout 240 \
	--append "workload=pingpong size=$size count=$count peer=1" \
	--expect "$(printf "$result" pingpong)" "$image" >"$tmp/a.out" 2>&1
arc=$?
wait "$bpid"
brc=$?
bpid=
[ $arc -eq 0 ] || fail "the pinging guest failed (qemu-run exit $arc)"
[ $brc -eq 0 ] || fail "the reflecting guest failed (qemu-run exit $brc)"
grep -h 'bench-result' "$tmp/a.out" "$tmp/b.out"

kill -TERM "$swpid"
wait "$swpid"
swrc=$?
swpid=
[ $swrc -eq 0 ] || fail "the switch exited $swrc after SIGTERM"
[ -e "$tmp/a.sock" ] || [ -e "$tmp/b.sock" ] && fail "sockets left behind"
for p in 0 1; do
	line=$(grep "^stats: port=$p " "$tmp/switch.out" | tail -1)
	echo "$line"
	for want in "rx=$count" "tx=$count" "drops=0"; do
		grep -q " $want " <<<"$line " || fail "switch port $p: not $want"
	done
done
echo "PASS"
