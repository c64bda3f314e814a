#!/bin/bash
# Lab tier: Linux's own e1000 and virtio_net drivers on iovirt's NIC models, over
# taps of the lab kernel. Inside the lab (a QEMU TCG machine with nested KVM), the
# lab's /init makes taps t0 (10.0.0.1/30) and t1 (10.0.1.1/30), then runs
#   iovirt run --kernel vmlinuz --initrd inner.gz --cpus 2
#              --net e1000,backend=tap:t0 --net virtio,backend=tap:t1
# The inner Linux loads e1000 and virtio_net (modules of the same Debian kernel),
# gives its e1000 interface 10.0.0.2/30 and its virtio_net one 10.0.1.2/30, and on
# each: pings the lab kernel 5 times, sends a 4 MiB random file to it and receives
# another over TCP (busybox nc), prints their MD5 sums, and reads `ethtool -S`
# before and after. The lab's /init then compares the sums of both ends, checks the
# pings and the counters, and prints IOVIRT-LAB-CHECK / IOVIRT-LAB-RESULT markers
# (lab/lib/verdict.sh). Fails on a failed check, a missing marker (timeout
# included), an oops or a panic in either kernel.
#
# The addresses exist only inside the lab machine: QEMU gets no network at all.
#
# Usage: lab-net-linux.sh IOVIRT
# Environment: IOVIRT_LAB_GUEST_KERNEL: vmlinuz (default) or vmlinux;
# IOVIRT_LAB_KERNEL_DIR (default: the newest /var/cache/iovirt-lab/linux-image-*/);
# IOVIRT_LAB_NET_MIB: size of each transfer in MiB (default 4);
# IOVIRT_LAB_NET_VMM=qemu: the same guest and checks on QEMU 7.2 (-accel kvm, q35) with
# its own e1000 and virtio-net-pci on the same taps, to tell the lab's faults from iovirt's;
# IOVIRT_LAB_NET_LOG: keep the serial logs there (the inner Linux's in .inner); IOVIRT_LAB_ACCEL: QEMU's -accel.
set -u
iovirt=$1
here=$(cd "$(dirname "$0")" && pwd)
guest_kernel=${IOVIRT_LAB_GUEST_KERNEL:-vmlinuz}
mib=${IOVIRT_LAB_NET_MIB:-4}
limit=300
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
[ -x /usr/sbin/ethtool ] || skip "ethtool is not installed (scripts/install-deps)"
lab_linux_prepare bin dev proc sys mods tmp
cp /usr/sbin/ethtool "$inner/bin/"
for lib in $(ldd /usr/sbin/ethtool | grep -o '/[^ ]*'); do
	mkdir -p "$inner$(dirname "$lib")" && cp -L "$lib" "$inner$lib"
done
# Load order follows modules.dep.
for m in net/ethernet/intel/e1000/e1000 virtio/virtio virtio/virtio_ring \
	virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev virtio/virtio_pci \
	../net/core/failover net/net_failover net/virtio_net; do
	cp "$kroot/drivers/$m.ko" "$inner/mods/" || skip "no module $m.ko in $kroot"
done
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
. /lib.sh
init_start INNER-NET
mib=$(sed -n 's/.*iovirt_mib=\([0-9]*\).*/\1/p' /proc/cmdline)
init_insmod e1000 virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	failover net_failover virtio_net
# ethtool -S counter $2 of interface $1.
counter() { ethtool -S "$1" | sed -n "s/^ *$2: *//p"; }
# net_test MODEL DRIVER SUBNET PORT TX_COUNTER
net_test() {
	model=$1 drv=$2 peer=10.0.$3.1 port=$4 ctr=$5
	ifc=$(inner_ifc "$drv") || { say "FAIL $model: no interface bound to $drv"; return; }
	ip link set "$ifc" up
	ip addr add "10.0.$3.2/30" dev "$ifc"
	inner_carrier "$ifc"
	say "$model $ifc driver $drv mac $(cat /sys/class/net/$ifc/address)" \
		"carrier $(cat /sys/class/net/$ifc/carrier) speed $(cat /sys/class/net/$ifc/speed 2>/dev/null)" \
		"duplex $(cat /sys/class/net/$ifc/duplex 2>/dev/null)"
	say "$model $ifc features $(cat /sys/class/net/$ifc/device/features 2>/dev/null)"
	before=$(counter "$ifc" "$ctr")
	i=0
	while ! ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && [ $i -lt 20 ]; do i=$((i + 1)); done
	out=$(ping -c 5 -W 2 "$peer" 2>&1)
	say "$model $ifc ping: $(echo "$out" | grep 'packets transmitted')"
	check "$model ping" sh -c "echo '$out' | grep -q '5 packets transmitted, 5 packets received'"
	dd if=/dev/urandom of=/tmp/tx bs=65536 count=$((mib * 16)) 2>/dev/null
	say "$model sent-md5 $(md5sum </tmp/tx | cut -d' ' -f1)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout 200 nc "$peer" "$port" -e cat /tmp/tx
	say "$model send exit $? ($t0 -> $(cut -d' ' -f1 /proc/uptime) s)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout 200 nc "$peer" $((port + 1)) -e sh -c 'cat >/tmp/rx'
	say "$model receive exit $? ($t0 -> $(cut -d' ' -f1 /proc/uptime) s)"
	say "$model received-md5 $(md5sum </tmp/rx | cut -d' ' -f1) size $(wc -c </tmp/rx)"
	rm -f /tmp/tx /tmp/rx
	after=$(counter "$ifc" "$ctr")
	say "$model ethtool $ctr $before -> $after"
	check "$model ethtool -S $ctr moved" [ "${after:-0}" -gt "${before:-0}" ]
	ethtool -S "$ifc" | grep -E 'packets|bytes|errors|dropped' | grep -v ': 0$' |
		sed "s/^ */INNER-NET: $model ethtool-S /"
}
net_test e1000 e1000 0 5000 tx_packets
net_test virtio virtio_net 1 5010 tx_queue_0_packets
dmesg | grep -iE 'e1000|virtio|eth[01]' | sed 's/^/INNER-NET: dmesg: /'
say "done"
sleep 1
poweroff -f
INNER
lab_linux_add_vmm "$iovirt" drivers/net/tun
[ "${IOVIRT_LAB_NET_VMM:-iovirt}" = iovirt ] || lab_linux_add_qemu
cat >"$outer/init" <<'OUTER'
#!/bin/busybox sh
. /lib.sh
init_start IOVIRT-LAB-CHECK
echo "IOVIRT-LAB-BOOTED: net-linux"
mib=$(sed -n 's/.*iovirt_mib=\([0-9]*\).*/\1/p' /proc/cmdline)
init_insmod irqbypass ccp kvm kvm-amd tun
for i in 0 1; do
	tunctl -t t$i >/dev/null
	ip addr add 10.0.$i.1/30 dev t$i
	ip link set t$i up
	dd if=/dev/urandom of=/tmp/tx$i bs=65536 count=$((mib * 16)) 2>/dev/null
	port=$((5000 + 10 * i))
	nc -l -p $port -e sh -c "cat >/tmp/rx$i" </dev/null &
	nc -l -p $((port + 1)) -e cat /tmp/tx$i </dev/null &
done
ip addr | grep -E 'inet 10\.' | sed 's/^/LAB: /'
echo "LAB: iovirt run starts at $(cut -d' ' -f1 /proc/uptime) s"
args="console=ttyS0 panic=-1 no_timer_check iovirt_mib=$mib"
if grep -q iovirt_vmm=qemu /proc/cmdline; then # the same guest on QEMU's own models
	set -- /bin/qemu-system-x86_64 -M q35 -accel kvm -cpu host -smp 2 -m 512M -nodefaults \
		-no-user-config -L /qemu-fw -display none -serial stdio -no-reboot \
		-netdev tap,id=n0,ifname=t0,script=no,downscript=no -device e1000,netdev=n0,romfile= \
		-netdev tap,id=n1,ifname=t1,script=no,downscript=no -device virtio-net-pci,netdev=n1,romfile= \
		-kernel /guest-kernel -initrd /inner.gz -append "$args"
else
	set -- /bin/iovirt run --kernel /guest-kernel --initrd /inner.gz --mem 512M --cpus 2 \
		--net e1000,backend=tap:t0 --net virtio,backend=tap:t1 --cmdline "$args" --stats
fi
timeout 240 "$@" </dev/null >/tmp/run.log 2>&1 &
pid=$!
tail -f /tmp/run.log >/dev/ttyS1 &
tailpid=$!
# Where a stall is: the lab's uptime, iovirt's CPU ticks and each thread's state, every 30 s
# (not through /proc/PID/cmdline, which waits for iovirt's mmap lock).
while sleep 30; do
	vmm=$(cat /proc/$pid/task/$pid/children)
	echo "LAB: alive at $(cut -d' ' -f1 /proc/uptime) s, iovirt threads:" \
		$(for t in /proc/$vmm/task/*; do cut -d' ' -f3,14,15 $t/stat; cat $t/wchan; echo; done | tr '\n' '/')
done &
beat=$!
wait $pid
rc=$?
sleep 1
kill $tailpid $beat 2>/dev/null
echo "LAB: iovirt run exit $rc at $(cut -d' ' -f1 /proc/uptime) s"
check "iovirt run exits 0" [ $rc = 0 ]
check "the inner Linux ran to its end" grep -q 'INNER-NET: done' /tmp/run.log
check "no oops or panic in the inner Linux" sh -c '! grep -qE "Kernel panic|Oops: |BUG: |general protection fault" /tmp/run.log'
check "no inner check failed" sh -c '! grep -q "INNER-NET: FAIL" /tmp/run.log'
for i in 0 1; do
	model=e1000; [ $i = 1 ] && model=virtio
	for what in "ping" "ethtool -S"; do
		check "$model: $what" grep -q "INNER-NET: ok $model $what" /tmp/run.log
	done
	sent=$(sed -n "s/.*INNER-NET: $model sent-md5 \([0-9a-f]*\).*/\1/p" /tmp/run.log)
	got=$(md5sum </tmp/rx$i | cut -d' ' -f1)
	echo "LAB: $model guest->lab: guest sent $sent, lab received $got ($(wc -c </tmp/rx$i) bytes)"
	check "$model: $mib MiB guest->lab intact" [ -n "$sent" -a "$sent" = "$got" ]
	got=$(sed -n "s/.*INNER-NET: $model received-md5 \([0-9a-f]*\).*/\1/p" /tmp/run.log)
	sent=$(md5sum </tmp/tx$i | cut -d' ' -f1)
	echo "LAB: $model lab->guest: lab sent $sent, guest received $got"
	check "$model: $mib MiB lab->guest intact" [ -n "$got" -a "$got" = "$sent" ]
	echo "LAB: t$i" $(cd /sys/class/net/t$i/statistics && for c in rx_packets rx_bytes tx_packets tx_bytes rx_dropped tx_dropped; do echo $c $(cat $c); done)
done
init_result net-linux
OUTER
lab_linux_pack "$guest_kernel"

# One boot of the lab (lab_linux_qemu_once): 0 pass, 1 fail, 2 a fault of the lab's own
# kernel, 3 a triple fault of the inner Linux.
# shellcheck disable=SC2317 # called by lab_linux_boot
boot_once() {
	lab_linux_qemu_once net-linux "$limit" "INNER-NET|IOVIRT-LAB|LAB:|iovirt run|e1000|virtio" \
		qemu-system-x86_64 -M q35 -accel "${IOVIRT_LAB_ACCEL:-tcg}" -cpu EPYC,+svm,+npt \
		-smp 2 -m 2048 -display none -monitor none -serial stdio -serial "file:$inner_log" \
		-no-reboot -nic none -kernel "$kdir/vmlinuz" -initrd "$work/outer.gz" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check transparent_hugepage=never iovirt_mib=$mib iovirt_vmm=${IOVIRT_LAB_NET_VMM:-iovirt}"
}

log=${IOVIRT_LAB_NET_LOG:-$work/lab.log}
inner_log=$log.inner
lab_linux_boot boot_once
