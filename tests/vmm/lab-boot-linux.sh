#!/bin/bash
# Lab tier: boot the Debian kernel under `iovirt run` inside a QEMU (TCG)
# machine with nested KVM (TESTING.md: the host's own KVM cannot run Linux).
# Inside the lab, `iovirt run --kernel vmlinuz|vmlinux --initrd inner.gz --cpus 2`
# boots a busybox initramfs whose init reports the CPU count, the serial
# driver's view of ttyS0, the PCI devices and ACPI tables, rtc0's date, writes through
# /dev/ttyS0 and powers off. Passes when every marker is seen, the guest sees
# 2 CPUs, `iovirt run` exits 0, and no oops or panic appears.
#
# Run by `meson test --suite lab` through lab/boot-linux, which fetches the lab
# kernel and builds a plain iovirt (about two minutes of QEMU TCG). With the
# hardware-reduced ACPI tables Linux installs no legacy PIC, so ttyS0 gets its
# IRQ only because the DSDT describes COM1 (PNP0501: I/O 0x3f8, IRQ 4).
#
# Usage: lab-boot-linux.sh IOVIRT
# Environment: IOVIRT_LAB_GUEST_KERNEL: vmlinuz (bzImage, default) or vmlinux (ELF);
# IOVIRT_LAB_KERNEL_DIR (default: the newest
# /var/cache/iovirt-lab/linux-image-*/, holding vmlinuz and modules/).
set -u
iovirt=$1
guest_kernel=${IOVIRT_LAB_GUEST_KERNEL:-vmlinuz} # or vmlinux: the ELF extracted from it
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
lab_linux_prepare bin dev proc sys
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
echo "INNER-MARKER init running, cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo)"
echo "INNER-MARKER ttyS0: $(/bin/busybox grep '^0:' /proc/tty/driver/serial)"
echo "INNER-MARKER pci: $(/bin/busybox ls /sys/bus/pci/devices | /bin/busybox tr '\n' ' ')"
echo "INNER-MARKER acpi: $(/bin/busybox ls /sys/firmware/acpi/tables | /bin/busybox tr '\n' ' ')"
echo "INNER-MARKER rtc: $(/bin/busybox cat /sys/class/rtc/rtc0/date) $(/bin/busybox cat /sys/class/rtc/rtc0/time)"
echo "INNER-MARKER through /dev/ttyS0" >/dev/ttyS0
echo "INNER-KMSG init ran, cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo)" >/dev/kmsg
echo "INNER-KMSG serial: $(/bin/busybox grep '^0:' /proc/tty/driver/serial)" >/dev/kmsg
/bin/busybox sleep 2
/bin/busybox poweroff -f
INNER
lab_linux_add_vmm "$iovirt"
cat >"$outer/init" <<'OUTER'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t sysfs sys /sys
for m in irqbypass ccp kvm kvm-amd; do /bin/busybox insmod /mods/$m.ko || echo "LAB: insmod $m failed"; done
echo "LAB: iovirt run starts at $(/bin/busybox cut -d' ' -f1 /proc/uptime) s"
/bin/busybox timeout 400 /bin/iovirt run --kernel /guest-kernel --initrd /inner.gz --mem 512M \
	--cpus 2 --cmdline "console=ttyS0 panic=-1 no_timer_check" --stats </dev/null >/dev/ttyS1 2>&1
echo "LAB: iovirt run exit $? at $(/bin/busybox cut -d' ' -f1 /proc/uptime) s"
/bin/busybox poweroff -f
OUTER
lab_linux_pack "$guest_kernel"

# One boot of the lab. The lab kernel's console and the lab's init write to the
# first serial port ($log), `iovirt run` (the inner Linux's console, iovirt's own
# messages) to the second ($inner_log): an oops is then known to be the lab's or
# the inner Linux's. Returns 0 pass, 1 fail, 3 a triple fault of the inner Linux
# (lab_linux_boot), 2 a fault of the lab itself (its
# kernel oopsed or reported a task hung in the kernel: below iovirt, in QEMU's
# emulated SVM or the nested KVM), printing why.
# shellcheck disable=SC2317 # called by lab_linux_boot
boot_once() {
	local status=0 oops want
	timeout 600 qemu-system-x86_64 -M q35 -accel tcg -cpu EPYC,+svm,+npt -smp 2 -m 2048 \
		-display none -monitor none -serial stdio -serial "file:$inner_log" -no-reboot \
		-kernel "$kdir/vmlinuz" -initrd "$work/outer.gz" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check" </dev/null 2>&1 |
		grep -v "TCG doesn't support" >"$log"
	cat "$log" "$inner_log" | tr -d '\r' |
		grep -E "INNER-|ACPI: PM|LAB:|iovirt run|vCPU|Power down|Run /init|16550A|Brought up"
	lab_log_fault "$log" && return 2
	lab_linux_triple_fault "$inner_log" && return 3
	grep -q "LAB: iovirt run exit 0" "$log" || { echo "FAIL: missing 'LAB: iovirt run exit 0'"; status=1; }
	# INNER-KMSG lines go through printk (polled console writes); INNER-MARKER
	# lines through the tty layer (interrupt-driven transmission on IRQ 4). The
	# lab's KVM has the TSC-deadline timer, and its CPU (QEMU's EPYC) a brand string.
	for want in "INNER-KMSG init ran, cpus=2" "ACPI: PM: Preparing to enter system sleep state S5" \
		"INNER-MARKER init running, cpus=2" "INNER-MARKER through /dev/ttyS0" \
		"TSC deadline timer available" "smpboot: CPU0: AMD EPYC Processor"; do
		grep -q "$want" "$inner_log" || { echo "FAIL: missing '$want'"; status=1; }
	done
	# rtc0 (the DSDT's PNP0B00) reads the host's UTC date.
	grep -q "INNER-MARKER rtc: $(date -u +%Y-%m-)" "$inner_log" ||
		{ echo "FAIL: no rtc0 with this month's date"; status=1; }
	oops=$(grep -a -n -m1 -E "$LAB_OOPS_RE" "$inner_log" | cut -d: -f1)
	if [ -n "$oops" ]; then
		echo "FAIL: the inner Linux oopsed (its log line $oops on):"
		sed -n "$((oops > 5 ? oops - 5 : 1)),$((oops + 45))p" "$inner_log" | tr -d '\r'
		status=1
	fi
	[ "$status" = 0 ] || for f in "$log" "$inner_log"; do
		echo "--- last 30 lines of $(basename "$f"):"
		tail -30 "$f" | tr -d '\r'
	done
	return "$status"
}

log=${IOVIRT_LAB_LOG:-$work/lab.log} # IOVIRT_LAB_LOG keeps the serial logs
inner_log=$log.inner
lab_linux_boot boot_once
