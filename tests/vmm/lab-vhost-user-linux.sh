#!/bin/bash
# Lab tier: Linux's virtio_net driver over iovirt's vhost-user front-end, two guests joined
# by `iovirt switch`, and the switch killed and restarted under their traffic.
# Inside the lab (a QEMU TCG machine with nested KVM), the lab's /init starts
#   iovirt switch --port /tmp/vu/a.sock --port /tmp/vu/b.sock
# on 2 MiB hugepages, then two Linux guests (the lab's own kernel):
#   iovirt run --kernel vmlinuz --initrd inner.gz --mem 256M
#              --net vhost-user,socket=/tmp/vu/{a,b}.sock,mac=52:54:00:00:07:0{1,2}
# Guest b brings its virtio_net interface up as 10.0.7.2/24 and waits. Guest a, as
# 10.0.7.1/24, pings b 5 times, then pings it 80 times 0.25 s apart: after the second
# of those, the lab's /init kills the switch with SIGKILL and starts it again 2 s later.
# Checks: every first ping answered; after the restart the guests' front-ends reconnect
# (each port of the new switch logs its front-end connected) and the last 10 of the 80
# pings are answered; no reply comes twice (busybox ping's DUP!); both guests end without
# oops; iovirt a exits 0. IOVIRT-LAB-CHECK / IOVIRT-LAB-RESULT markers (lab/lib/verdict.sh).
#
# Usage: lab-vhost-user-linux.sh IOVIRT   (or: lab/boot-linux OUT_DIR vmlinuz lab-vhost-user-linux.sh)
# Environment: IOVIRT_LAB_ACCEL: QEMU's -accel (default tcg); IOVIRT_LAB_KERNEL_DIR
# (default: the newest linux-image-*/ of the lab's kernel cache);
# IOVIRT_LAB_VU_LOG: keep the serial logs there (the inner Linuxes' in .inner).
set -u
iovirt=$1
here=$(cd "$(dirname "$0")" && pwd)
# MTTCG, as lab-net-linux.sh: single-threaded TCG stalls the inner Linux (docs/lab.md).
IOVIRT_LAB_ACCEL=${IOVIRT_LAB_ACCEL:-tcg}
limit=${IOVIRT_LAB_VU_LIMIT:-480}
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
grep -q librte_vhost <<<"$(ldd "$iovirt")" || skip "$iovirt was built without DPDK: no iovirt switch"
lab_linux_prepare bin dev proc sys mods tmp
lab_linux_add_virtio_net
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
. /lib.sh
init_start INNER-VU
role=$(sed -n 's/.*iovirt_role=\([ab]\).*/\1/p' /proc/cmdline)
INIT_TAG=INNER-VU-$role
init_insmod virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
	net_failover virtio_net
ifc=$(inner_ifc virtio_net) || { say "FAIL no interface bound to virtio_net"; poweroff -f; }
me=1 peer=2
[ "$role" = b ] && me=2 peer=1
ip link set "$ifc" up
ip addr add "10.0.7.$me/24" dev "$ifc"
check "link up" inner_carrier "$ifc"
say "$ifc driver virtio_net mac $(cat /sys/class/net/$ifc/address) as 10.0.7.$me"
if [ "$role" = b ]; then
	say "up"
	sleep 400
	poweroff -f
fi
i=0
while ! ping -c 1 -W 1 "10.0.7.$peer" >/dev/null 2>&1 && [ $i -lt 120 ]; do i=$((i + 1)); done
say "b answered after $i tries"
out=$(ping -c 5 -W 2 "10.0.7.$peer" 2>&1)
say "ping: $(echo "$out" | grep 'packets transmitted')"
check "ping" sh -c "echo '$out' | grep -q '5 packets transmitted, 5 packets received'"
say "phase kill"
ping -c 80 -i 0.25 -W 1 "10.0.7.$peer" >/tmp/ping 2>&1
say "kill ping: $(grep 'packets transmitted' /tmp/ping)"
say "kill ping answered: $(sed -n 's/.*seq=\([0-9]*\) .*/\1/p' /tmp/ping | tr '\n' ' ')"
check "no reply came twice" sh -c '! grep -q DUP /tmp/ping'
answered_tail() {
	for s in 70 71 72 73 74 75 76 77 78 79; do grep -q "seq=$s " /tmp/ping || return 1; done
}
check "the last 10 pings answered after the restart" answered_tail
say "done"
sleep 1
poweroff -f
INNER
lab_linux_add_vmm "$iovirt"
cat >"$outer/init" <<'OUTER'
#!/bin/busybox sh
. /lib.sh
init_start IOVIRT-LAB-CHECK
mkdir -p /tmp /run && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /run
chmod 755 / # DPDK refuses a world-writable plugin path
echo "IOVIRT-LAB-BOOTED: vhost-user-linux"
init_insmod irqbypass ccp kvm kvm-amd
echo 64 >/proc/sys/vm/nr_hugepages
mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages
echo "LAB: $(grep HugePages_Free /proc/meminfo)"
mkdir -p /tmp/vu
start_switch() {
	/bin/iovirt switch --mbufs 4095 --port /tmp/vu/a.sock --port /tmp/vu/b.sock </dev/null >>/tmp/switch.log 2>&1 &
	sw=$!
	i=0
	while [ "$(grep -c '^switch: ready' /tmp/switch.log)" -lt "$1" ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
}
# wait_line FILE PATTERN SECONDS PID: until FILE has a line matching PATTERN, while PID lives.
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt $(($3 * 5)) ] && [ -d "/proc/$4" ]; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q "$2" "$1"
}
start_switch 1
check "the switch is ready" grep -q '^switch: ready' /tmp/switch.log
args="console=ttyS0 panic=-1 no_timer_check"
ulimit -l unlimited
for r in b a; do
	n=1; [ $r = b ] && n=2
	timeout 400 /bin/iovirt run --kernel /guest-kernel --initrd /inner.gz --mem 256M --cpus 1 \
		--net vhost-user,socket=/tmp/vu/$r.sock,mac=52:54:00:00:07:0$n --cmdline "$args iovirt_role=$r" \
		</dev/null >/tmp/run-$r.log 2>&1 &
	eval "pid_$r=\$!"
done
tail -f /tmp/run-a.log /tmp/run-b.log /tmp/switch.log >/dev/ttyS1 &
tailpid=$!
if wait_line /tmp/run-a.log "INNER-VU-a: phase kill" 300 "$pid_a"; then
	sleep 0.6
	kill -9 "$sw"
	echo "LAB: switch killed (SIGKILL) at $(cut -d' ' -f1 /proc/uptime) s"
	sleep 2
	start_switch 2
	echo "LAB: switch restarted at $(cut -d' ' -f1 /proc/uptime) s"
fi
wait "$pid_a"
rc=$?
kill "$pid_b" 2>/dev/null
wait "$pid_b" 2>/dev/null
sleep 1
kill "$tailpid" "$sw" 2>/dev/null
echo "LAB: iovirt run a exit $rc at $(cut -d' ' -f1 /proc/uptime) s"
grep -a -h "iovirt\|vhost-user" /tmp/run-a.log /tmp/run-b.log | grep -v INNER | sed 's/^/LAB: /'
check "iovirt run a exits 0" [ $rc = 0 ]
check "guest b came up" grep -q 'INNER-VU-b: up' /tmp/run-b.log
check "guest a ran to its end" grep -q 'INNER-VU-a: done' /tmp/run-a.log
check "no inner check failed" sh -c '! grep -q "INNER-VU-.: FAIL" /tmp/run-a.log /tmp/run-b.log'
check "no oops or panic in either guest" \
	sh -c '! grep -qE "Kernel panic|Oops: |BUG: |general protection fault" /tmp/run-a.log /tmp/run-b.log'
check "the first pings answered" grep -q 'INNER-VU-a: ok ping' /tmp/run-a.log
check "the switch was restarted" [ "$(grep -c '^switch: ready' /tmp/switch.log)" = 2 ]
for p in 0 1; do
	check "port $p's front-end connected to both switches" \
		[ "$(grep -c "port $p .*: front-end connected" /tmp/switch.log)" = 2 ]
done
check "no reply came twice" grep -q 'INNER-VU-a: ok no reply came twice' /tmp/run-a.log
check "traffic resumed after the restart" grep -q 'INNER-VU-a: ok the last 10 pings answered' /tmp/run-a.log
init_result vhost-user-linux
OUTER
lab_linux_pack

# shellcheck disable=SC2317 # called by lab_linux_boot
boot_once() {
	lab_linux_machine_args "console=ttyS0 panic=-1 quiet transparent_hugepage=never"
	lab_linux_qemu_once vhost-user-linux "$limit" "INNER-VU|IOVIRT-LAB|LAB:|iovirt run|vhost-user|switch:" \
		"${lab_qemu[@]}"
}

log=${IOVIRT_LAB_VU_LOG:-$work/lab.log}
inner_log=$log.inner
lab_linux_boot boot_once
