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
# shellcheck source=/dev/null
. "$here/../../lab/lib/verdict.sh"
# MTTCG, as lab-net-linux.sh: single-threaded TCG stalls the inner Linux (docs/lab.md).
IOVIRT_LAB_ACCEL=${IOVIRT_LAB_ACCEL:-tcg}
# shellcheck source=/dev/null
. "$here/../../lab/lib/machine.sh"
limit=${IOVIRT_LAB_VFIO_LIMIT:-420}
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
lab_linux_prepare bin dev proc sys mods tmp
cp "$kroot/drivers/net/ethernet/intel/e1000e/e1000e.ko" "$inner/mods/" || skip "no e1000e.ko in $kroot"
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "INNER-VFIO: $*"; }
check() { # check WHAT CMD...: one ok/FAIL line per check
	what=$1; shift
	if "$@"; then say "ok $what"; else say "FAIL $what"; fi
}
for d in /sys/bus/pci/devices/*; do
	say "pci ${d##*/} $(cat $d/vendor):$(cat $d/device) class $(cat $d/class)" \
		"resources: $(grep -v '^0x0000000000000000 0x0000000000000000' $d/resource | tr '\n' ' ')"
done
insmod /mods/e1000e.ko || say "FAIL insmod e1000e"
ifc= i=0
while [ -z "$ifc" ] && [ $i -lt 50 ]; do
	for d in /sys/class/net/eth*; do
		[ "$(basename "$(readlink "$d/device/driver")")" = e1000e ] && ifc=${d##*/}
	done
	[ -n "$ifc" ] || { sleep 0.2; i=$((i + 1)); }
done
[ -n "$ifc" ] || { say "FAIL no interface bound to e1000e"; dmesg | tail -20 | sed 's/^/INNER-VFIO: dmesg: /'; poweroff -f; }
say "$ifc mac $(cat /sys/class/net/$ifc/address)"
check "the host's MAC" [ "$(cat /sys/class/net/$ifc/address)" = 52:54:00:1a:b0:01 ]
ip link set "$ifc" up
ip addr add 10.0.5.2/24 dev "$ifc"
i=0
while [ "$(cat /sys/class/net/$ifc/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.2; i=$((i + 1))
done
check "link up" [ "$(cat /sys/class/net/$ifc/carrier 2>/dev/null)" = 1 ]
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
chmod +x "$inner/init"
(cd "$inner" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$outer/inner.gz"
cp "$kdir/vmlinuz" "$outer/guest-kernel"
lab_linux_add_vmm "$iovirt" drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
	drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci \
	drivers/net/ethernet/intel/e1000e/e1000e
cat >"$outer/init" <<'OUTER'
#!/bin/busybox sh
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t sysfs sys /sys
echo "IOVIRT-LAB-BOOTED: vfio-linux"
check() { # check WHAT CMD...
	what=$1; shift
	if "$@"; then echo "IOVIRT-LAB-CHECK: ok $what"; else echo "IOVIRT-LAB-CHECK: FAIL $what"; fail=1; fi
}
fail=0
for m in irqbypass ccp kvm kvm-amd vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do
	insmod /mods/$m.ko || echo "LAB: insmod $m failed"
done
dev=/sys/bus/pci/devices/0000:00:03.0
echo vfio-pci >$dev/driver_override
echo 0000:00:03.0 >/sys/bus/pci/drivers_probe
check "00:03.0 bound to vfio-pci" [ "$(basename "$(readlink $dev/driver)")" = vfio-pci ]
echo "LAB: 00:03.0 group $(basename "$(readlink $dev/iommu_group)")"
insmod /mods/e1000e.ko || echo "LAB: insmod e1000e failed"
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
if [ $fail = 0 ]; then
	echo "IOVIRT-LAB-RESULT: vfio-linux PASS"
else
	echo "IOVIRT-LAB-RESULT: vfio-linux FAIL"
fi
poweroff -f
OUTER
chmod +x "$outer/init"
(cd "$outer" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/outer.gz"

# One boot of the lab machine of lab/lib/machine.sh (vIOMMU, both e1000e), its console
# on the first serial port ($log), the inner Linux's (iovirt's output) on the second.
# Returns 0 pass, 1 fail, 2 a fault of the lab's own kernel, 3 a triple fault of the inner Linux.
# shellcheck disable=SC2317 # called by lab_linux_boot
boot_once() {
	local start rc why args a
	local cmdline="console=ttyS0 panic=-1 quiet transparent_hugepage=never intel_iommu=on iommu=pt"
	cmdline="$cmdline iovirt_vfio_reboot=${IOVIRT_LAB_VFIO_REBOOT:-0}"
	start=$(date +%s)
	args=()
	while IFS= read -r a; do
		if [ "$a" = -nographic ]; then
			args+=(-display none -monitor none -serial stdio -serial "file:$inner_log")
		else
			args+=("$a")
		fi
	done < <(lab_qemu_args "$kdir/vmlinuz" "$work/outer.gz" "$cmdline")
	timeout "$limit" "${args[@]}" </dev/null 2>&1 | grep --line-buffered -v "TCG doesn't support" >"$log"
	rc=${PIPESTATUS[0]}
	echo "lab-vfio-linux: QEMU status $rc after $(($(date +%s) - start)) s"
	cat "$log" "$inner_log" | tr -d '\r' | grep -a -E "INNER-VFIO|IOVIRT-LAB|LAB:|iovirt run|vfio"
	lab_log_fault "$log" && return 2
	lab_linux_triple_fault "$inner_log" && return 3
	if ! why=$(lab_log_verdict "$log" vfio-linux "$rc" "$limit"); then
		echo "FAIL: $why"
		for f in "$log" "$inner_log"; do
			echo "--- last 40 lines of $(basename "$f"):"
			tail -n 40 "$f" | tr -d '\r'
		done
		return 1
	fi
	echo "PASS"
}

log=${IOVIRT_LAB_VFIO_LOG:-$work/lab.log}
inner_log=$log.inner
lab_linux_boot boot_once
