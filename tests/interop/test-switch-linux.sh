#!/usr/bin/env bash
# Linux's virtio_net through iovirt switch: two Linux guests (the lab's Debian
# kernel and its virtio modules, a busybox initramfs) under QEMU 7.2 with
# TCG, each with a virtio-net-pci NIC on `-netdev vhost-user` to one port of
# one switch in its learning mode, ping each other 5 times each way. Checks:
# every ping answered, none twice (busybox ping's DUP!), no oops, both
# guests power off; the switch carried frames both ways on both ports and
# exits 0 on SIGTERM.
# The NICs use INTx (vectors=0): QEMU 7.2 under TCG segfaults once a
# vhost-user NIC's MSI-X vectors are in use (test-switch-qemu.sh), while
# under KVM it is iovirt's front-end that the vmm tier tests.
# usage: test-switch-linux.sh IOVIRT HUGEPAGES-SCRIPT
# Skips (77) without DPDK in this build, hugepages, QEMU, busybox-static or
# the lab's kernel package (fetched into the lab's cache like the lab tests do).
set -uo pipefail
iovirt=$1 hugepages=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/../vmm/lab-linux-common.sh"
out=$("$iovirt" switch --help 2>&1) || { echo "FAIL: iovirt switch --help failed"; exit 1; }
grep -q "built without DPDK" <<<"$out" && skip "this iovirt was built without DPDK"
out=$("$hugepages" 512 2>&1) || skip "no hugepages: $out"
lab_kernel_fetch # the lab's kernel package, cached (lab/lib/kernel.sh)
IOVIRT_LAB_KERNEL_DIR=${IOVIRT_LAB_KERNEL_DIR:-$LAB_KDIR}
lab_linux_prepare bin dev proc sys mods tmp
lab_linux_add_virtio_net
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
. /lib.sh
init_start LINUX-VU
role=$(sed -n 's/.*iovirt_role=\([ab]\).*/\1/p' /proc/cmdline)
INIT_TAG=LINUX-VU-$role
init_insmod virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
	net_failover virtio_net
ifc=$(inner_ifc virtio_net) || { say "FAIL no interface bound to virtio_net"; init_result linux-vu; }
me=1 peer=2
[ "$role" = b ] && me=2 peer=1
ip link set "$ifc" up
ip addr add "10.0.7.$me/24" dev "$ifc"
check "link up" inner_carrier "$ifc"
i=0
while ! ping -c 1 -W 1 "10.0.7.$peer" >/dev/null 2>&1 && [ $i -lt 60 ]; do i=$((i + 1)); done
say "the peer answered after $i tries"
ping -c 5 -W 2 "10.0.7.$peer" >/tmp/ping 2>&1
say "ping: $(grep 'packets transmitted' /tmp/ping)"
check "5 pings answered" grep -q '5 packets transmitted, 5 packets received' /tmp/ping
check "no reply twice" sh -c '! grep -q DUP /tmp/ping'
sleep 3 # the peer may still be pinging
init_result linux-vu
INNER
chmod +x "$inner/init"
(cd "$inner" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/inner.gz"

swpid=
finish() {
	[ -n "$swpid" ] && kill -KILL "$swpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap finish EXIT
fail() {
	echo "FAIL: $*"
	for f in a.out b.out switch.out; do
		echo "--- last lines of $f:"
		tail -20 "$work/$f" 2>/dev/null | tr -d '\r'
	done
	exit 1
}
"$iovirt" switch --mbufs 2047 --port "$work/a.sock" --port "$work/b.sock" >"$work/switch.out" 2>&1 &
swpid=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^switch: ready' "$work/switch.out" && break
	sleep 0.1
done
[ $i -lt 300 ] || fail "the switch did not start"

# guest ROLE MAC: one Linux guest on port ROLE's socket; its console in ROLE.out.
guest() {
	timeout 240 qemu-system-x86_64 -M pc -accel tcg -cpu max -m 256 -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot \
		-object memory-backend-memfd,id=ram,size=256M,share=on -machine memory-backend=ram \
		-chardev "socket,id=c0,path=$work/$1.sock" -netdev vhost-user,id=n0,chardev=c0 \
		-device "virtio-net-pci,netdev=n0,mac=$2,vectors=0,romfile=" \
		-kernel "$kdir/vmlinuz" -initrd "$work/inner.gz" \
		-append "console=ttyS0 quiet panic=-1 iovirt_role=$1" </dev/null >"$work/$1.out" 2>&1
}
guest a 52:54:00:00:07:01 &
apid=$!
guest b 52:54:00:00:07:02
brc=$?
wait "$apid"
arc=$?
for r in a b; do
	grep -a "LINUX-VU-$r" "$work/$r.out" | tr -d '\r'
	grep -a -q "IOVIRT-LAB-RESULT: linux-vu PASS" "$work/$r.out" || fail "guest $r did not pass"
	grep -a -q -E "Oops|BUG:|Kernel panic|Call Trace" "$work/$r.out" && fail "guest $r: a kernel fault"
done
{ [ $arc -eq 0 ] && [ $brc -eq 0 ]; } || fail "QEMU exit status a=$arc b=$brc"
kill -TERM "$swpid"
wait "$swpid"
swrc=$?
swpid=
[ $swrc -eq 0 ] || fail "the switch exited $swrc after SIGTERM"
for p in 0 1; do
	line=$(grep "^stats: port=$p " "$work/switch.out" | tail -1)
	echo "$line"
	rx=$(tr ' ' '\n' <<<"$line" | sed -n 's/^rx=//p')
	tx=$(tr ' ' '\n' <<<"$line" | sed -n 's/^tx=//p')
	{ [ "${rx:-0}" -ge 10 ] && [ "${tx:-0}" -ge 10 ]; } || fail "switch port $p carried rx=$rx tx=$tx"
done
echo "PASS"
