#!/bin/bash
# Lab tier: a Linux guest of iovirt drives a passed-through e1000e with its own driver.
# Inside the lab (a QEMU TCG machine with a vIOMMU and nested KVM) the lab's /init binds
# 00:03.0 (e1000e, MAC 52:54:00:1a:b0:01) to vfio-pci, keeps 00:04.0 (the other e1000e,
# on the same QEMU hub) for its own e1000e driver as 10.0.5.1/24, then runs
#   iovirt run --kernel vmlinuz --initrd inner.gz --mem 256M --vfio 0000:00:03.0
# The inner Linux loads e1000e (a module of the same Debian kernel), finds the function
# with the host's IDs and MAC, brings the link up as 10.0.5.2/24, pings the lab kernel
# 5 times and lists its interrupts (MSI-X vectors of the driver's queues); with
# IOVIRT_LAB_VFIO_REBOOT=1 it then reboots (the device is reset and guest RAM mapped for
# DMA again) and does it all once more. The lab's /init checks the pings of each boot,
# iovirt's exit status and that the device is still bound to vfio-pci, and prints
# IOVIRT-LAB-CHECK / IOVIRT-LAB-RESULT markers (lab/lib/verdict.sh). Fails on a failed
# check, a missing marker (timeout included), an oops or a panic in either kernel.
#
# Usage: lab-vfio-linux.sh IOVIRT   (or: lab/boot-linux OUT_DIR vmlinuz lab-vfio-linux.sh)
# Environment: IOVIRT_LAB_ACCEL: QEMU's -accel (default tcg); IOVIRT_LAB_KERNEL_DIR
# (default: the newest /var/cache/iovirt-lab/linux-image-*/);
# IOVIRT_LAB_VFIO_LOG: keep the serial logs there (the inner Linux's in .inner);
# IOVIRT_LAB_VFIO_REBOOT=1: the guest reboots once. Open problem: the inner Linux then spins
# in guest mode after "reboot: machine restart" and iovirt never sees the reset (1 of 1).
set -u
iovirt=$1
here=$(cd "$(dirname "$0")" && pwd)
# MTTCG, as lab-net-linux.sh: single-threaded TCG stalls the inner Linux (docs/lab.md).
IOVIRT_LAB_ACCEL=${IOVIRT_LAB_ACCEL:-tcg}
limit=${IOVIRT_LAB_VFIO_LIMIT:-420}
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
lab_linux_prepare bin dev proc sys mods tmp
cp "$kroot/drivers/net/ethernet/intel/e1000e/e1000e.ko" "$inner/mods/" || skip "no e1000e.ko in $kroot"
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
. /lib.sh
init_start INNER-VFIO
for d in /sys/bus/pci/devices/*; do
	say "pci ${d##*/} $(cat $d/vendor):$(cat $d/device) class $(cat $d/class)" \
		"resources: $(grep -v '^0x0000000000000000 0x0000000000000000' $d/resource | tr '\n' ' ')"
done
init_insmod e1000e
ifc=$(inner_ifc e1000e) ||
	{ say "FAIL no interface bound to e1000e"; dmesg | tail -20 | sed 's/^/INNER-VFIO: dmesg: /'; poweroff -f; }
say "$ifc mac $(cat /sys/class/net/$ifc/address)"
check "the host's MAC" [ "$(cat /sys/class/net/$ifc/address)" = 52:54:00:1a:b0:01 ]
ip link set "$ifc" up
ip addr add 10.0.5.2/24 dev "$ifc"
check "link up" inner_carrier "$ifc"
i=0
while ! ping -c 1 -W 1 10.0.5.1 >/dev/null 2>&1 && [ $i -lt 20 ]; do i=$((i + 1)); done
out=$(ping -c 5 -W 2 10.0.5.1 2>&1)
say "ping: $(echo "$out" | grep 'packets transmitted')"
check "ping" sh -c "echo '$out' | grep -q '5 packets transmitted, 5 packets received'"
grep -E "$ifc|e1000e" /proc/interrupts | sed 's/^/INNER-VFIO: irq /'
check "MSI-X vectors in use" grep -q -E "PCI-MSIX?.*$ifc|$ifc-(rx|tx)" /proc/interrupts
dmesg | grep -iE 'e1000e|eth0' | sed 's/^/INNER-VFIO: dmesg: /'
# The lab says whether to reboot (the first boot) or power off (the second).
next=$(timeout 20 nc 10.0.5.1 6000 </dev/null 2>/dev/null)
say "done, next: ${next:-poweroff}"
sleep 1
[ "$next" = reboot ] && reboot -f
poweroff -f
INNER
lab_linux_add_vmm "$iovirt" drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
	drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci \
	drivers/net/ethernet/intel/e1000e/e1000e
cat >"$outer/init" <<'OUTER'
#!/bin/busybox sh
. /lib.sh
init_start IOVIRT-LAB-CHECK
echo "IOVIRT-LAB-BOOTED: vfio-linux"
init_insmod irqbypass ccp kvm kvm-amd vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci
dev=/sys/bus/pci/devices/0000:00:03.0
echo vfio-pci >$dev/driver_override
echo 0000:00:03.0 >/sys/bus/pci/drivers_probe
check "00:03.0 bound to vfio-pci" [ "$(basename "$(readlink $dev/driver)")" = vfio-pci ]
echo "LAB: 00:03.0 group $(basename "$(readlink $dev/iommu_group)")"
init_insmod e1000e
lab=$(ls /sys/bus/pci/devices/0000:00:04.0/net 2>/dev/null)
check "00:04.0 is the lab's interface ($lab)" [ -n "$lab" ]
ip addr add 10.0.5.1/24 dev "$lab"
ip link set "$lab" up
ulimit -l unlimited
boots=1
if grep -q iovirt_vfio_reboot=1 /proc/cmdline; then # a guest reboot in between
	boots=2
	(nc -l -p 6000 -e echo reboot; nc -l -p 6000 -e echo poweroff) </dev/null &
fi
echo "LAB: iovirt run starts at $(cut -d' ' -f1 /proc/uptime) s"
args="console=ttyS0 panic=-1 no_timer_check"
timeout 300 /bin/iovirt run --kernel /guest-kernel --initrd /inner.gz --mem 256M --cpus 1 \
	--vfio 0000:00:03.0 --cmdline "$args" </dev/null >/tmp/run.log 2>&1 &
pid=$!
tail -f /tmp/run.log >/dev/ttyS1 &
tailpid=$!
# Where a stall is: each iovirt thread's state, CPU ticks and wait channel, every 30 s.
while sleep 30; do
	vmm=$(cat /proc/$pid/task/$pid/children 2>/dev/null)
	vmm=${vmm:-$pid} # busybox's timeout execs the command itself
	echo "LAB: alive at $(cut -d' ' -f1 /proc/uptime) s, iovirt threads:" \
		$(for t in /proc/$vmm/task/*; do cut -d' ' -f3,14,15 $t/stat; cat $t/wchan; echo; done | tr '\n' '/')
done &
beat=$!
wait $pid
rc=$?
sleep 1
kill $tailpid $beat 2>/dev/null
echo "LAB: iovirt run exit $rc at $(cut -d' ' -f1 /proc/uptime) s"
grep -a "iovirt" /tmp/run.log | sed 's/^/LAB: /'
check "iovirt run exits 0" [ $rc = 0 ]
check "the inner Linux ran to its end" grep -q 'INNER-VFIO: done' /tmp/run.log
check "no oops or panic in the inner Linux" sh -c '! grep -qE "Kernel panic|Oops: |BUG: |general protection fault" /tmp/run.log'
check "no inner check failed" sh -c '! grep -q "INNER-VFIO: FAIL" /tmp/run.log'
check "the guest pinged the lab on each of $boots boots" \
	[ "$(grep -c "INNER-VFIO: ok ping" /tmp/run.log)" = $boots ]
check "iovirt restarted the guest $((boots - 1)) times" \
	[ "$(grep -c "restarting the guest" /tmp/run.log)" = $((boots - 1)) ]
check "the guest saw the host's MAC" grep -q "INNER-VFIO: ok the host's MAC" /tmp/run.log
check "00:03.0 still bound to vfio-pci" [ "$(basename "$(readlink $dev/driver)")" = vfio-pci ]
echo "LAB: $lab" $(cd /sys/class/net/$lab/statistics && for c in rx_packets tx_packets rx_errors; do echo $c $(cat $c); done)
init_result vfio-linux
OUTER
lab_linux_pack

# One boot of the lab machine (lab_linux_qemu_once): 0 pass, 1 fail, 2 a fault of the lab's
# own kernel, 3 a triple fault of the inner Linux.
# shellcheck disable=SC2317 # called by lab_linux_boot
boot_once() {
	lab_linux_machine_args "console=ttyS0 panic=-1 quiet transparent_hugepage=never intel_iommu=on iommu=pt iovirt_vfio_reboot=${IOVIRT_LAB_VFIO_REBOOT:-0}"
	lab_linux_qemu_once vfio-linux "$limit" "INNER-VFIO|IOVIRT-LAB|LAB:|iovirt run|vfio" "${lab_qemu[@]}"
}

log=${IOVIRT_LAB_VFIO_LOG:-$work/lab.log}
inner_log=$log.inner
lab_linux_boot boot_once
