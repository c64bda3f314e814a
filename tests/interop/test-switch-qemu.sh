#!/usr/bin/env bash
# QEMU's vhost-user front-end on iovirt switch: the project's guest image
# drives two virtio-net-pci NICs whose netdevs are vhost-user sockets of one
# switch, and checks every frame's payload, both ways, polled and with
# interrupts, and link changes (QEMU stops and restarts the back-end).
# usage: test-switch-qemu.sh IOVIRT HUGEPAGES-SCRIPT QEMU-RUN IMAGE
# Skips (77) without DPDK in this build, hugepages, QEMU or /dev/kvm: QEMU 7.2
# under TCG segfaults in a vCPU's MMIO write once the guest moves its
# vhost-user NICs to interrupts (seen on the project's test host; the polled
# frames pass there).
set -uo pipefail
iovirt=$1 hugepages=$2 qemu_run=$3 image=$4
tmp=$(mktemp -d /tmp/iovirt-switch-qemu.XXXXXX)
swpid=
cleanup() {
	[ -n "$swpid" ] && kill -KILL "$swpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	tail -20 "$tmp/switch.err" "$tmp/switch.out" 2>/dev/null
	exit 1
}

out=$("$iovirt" switch --help 2>&1) || fail "iovirt switch --help failed"
if grep -q "built without DPDK" <<<"$out"; then
	echo "SKIP: this iovirt was built without DPDK"
	exit 77
fi
if ! out=$("$hugepages" 512 2>&1); then
	echo "SKIP: no hugepages: $out"
	exit 77
fi
if [ ! -w /dev/kvm ]; then
	echo "SKIP: no /dev/kvm: QEMU 7.2 under TCG crashes with vhost-user NICs once they use interrupts"
	exit 77
fi

"$iovirt" switch --mbufs 4095 --port "$tmp/a.sock" --port "$tmp/b.sock" \
	> "$tmp/switch.out" 2> "$tmp/switch.err" &
swpid=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^switch: ready' "$tmp/switch.out" && break
	sleep 0.1
done
[ $i -lt 300 ] || fail "the switch did not start"

"$qemu_run" --nics virtio,virtio --vhost-user "$tmp/a.sock,$tmp/b.sock" --timeout 240 \
	--expect 'frames mode=poll from=0 to=1 len=60 .* ok=1' \
	--expect 'frames mode=poll from=1 to=0 len=1514 .* ok=1' \
	--expect 'frames mode=irq from=0 to=1 .* ok=1' \
	--expect 'frames mode=irq from=1 to=0 .* ok=1' \
	--expect 'link nic=0 .* ok=1' --expect 'link nic=1 .* ok=1' \
	--expect 'summary failures=0 ok=1' "$image"
rc=$?
[ $rc -eq 77 ] && exit 77

kill -TERM "$swpid"
for ((i = 0; i < 300; i++)); do
	kill -0 "$swpid" 2>/dev/null || break
	sleep 0.1
done
wait "$swpid"
swrc=$?
swpid=
[ $rc -eq 0 ] || fail "the guest's run through the switch failed (qemu-run exit $rc)"
[ $swrc -eq 0 ] || fail "the switch exited $swrc after SIGTERM"
[ -e "$tmp/a.sock" ] || [ -e "$tmp/b.sock" ] && fail "sockets left behind"
for p in 0 1; do
	rx=$(grep "^stats: port=$p " "$tmp/switch.out" | tail -1 | tr ' ' '\n' | sed -n 's/^rx=//p')
	[ "${rx:-0}" -ge 192 ] || fail "the switch took only ${rx:-0} frames from port $p"
done
grep '^stats:' "$tmp/switch.out" | tail -3
echo "PASS"
