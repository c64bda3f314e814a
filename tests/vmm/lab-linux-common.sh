# shellcheck shell=bash disable=SC2034 # kdir, kroot, inner, outer are for the caller
# Shared by the lab-*-linux.sh tests (sourced, bash): find the lab's
# Debian kernel and lay out the two initramfs trees, $inner (the Linux guest of
# iovirt run) and $outer (the lab machine's own), each with busybox and a console.
# Sets kdir, kroot (the kernel's module tree), work (removed at exit), inner, outer.
# Sources lab/lib's common, kernel, rootfs, verdict and machine (IOVIRT_LAB_ACCEL, when the
# caller sets it first, chooses the lab machine's -accel).
# Skips (77) with the reason when something the lab needs is missing.
skip() { echo "SKIP: $*"; exit 77; }
lab_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../lab/lib" && pwd)
for f in common kernel rootfs verdict machine; do
	# shellcheck source=/dev/null
	. "$lab_lib/$f.sh"
done

# lab_linux_prepare DIRS...: the checks, then $inner and $outer with DIRS in each, and
# the helpers of their /init scripts (lab-init-lib.sh) as /lib.sh in each.
lab_linux_prepare() {
	kdir=${IOVIRT_LAB_KERNEL_DIR:-$(ls -d "${IOVIRT_LAB_CACHE:-/var/cache/iovirt-lab}"/linux-image-*/ 2>/dev/null | tail -1)}
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	[ -x /bin/busybox ] || skip "busybox-static is not installed"
	[ -n "$kdir" ] && [ -r "$kdir/vmlinuz" ] || skip "no lab kernel (set IOVIRT_LAB_KERNEL_DIR)"
	local mods
	mods=$(find "$kdir/modules" -path '*/kernel/arch/x86/kvm' -type d 2>/dev/null | sed -n 1p)
	[ -n "$mods" ] || skip "no kvm modules under $kdir/modules"
	kroot=${mods%/arch/x86/kvm}
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	inner=$work/inner outer=$work/outer
	for d in "$@"; do
		mkdir -p "$inner/$d" "$outer/$d"
	done
	cp /bin/busybox "$inner/bin/" && cp /bin/busybox "$outer/bin/"
	cp "$(dirname "${BASH_SOURCE[0]}")/lab-init-lib.sh" "$inner/lib.sh"
	cp "$(dirname "${BASH_SOURCE[0]}")/lab-init-lib.sh" "$outer/lib.sh"
	mknod -m 600 "$inner/dev/console" c 5 1 2>/dev/null
	mknod -m 600 "$outer/dev/console" c 5 1 2>/dev/null
}

# lab_linux_add_virtio_net: the modules Linux's virtio_net needs over PCI into $inner/mods;
# the inner /init loads them in this order: virtio_ring virtio virtio_pci_modern_dev
# virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net.
lab_linux_add_virtio_net() {
	local m
	for m in virtio/virtio virtio/virtio_ring virtio/virtio_pci_modern_dev \
		virtio/virtio_pci_legacy_dev virtio/virtio_pci ../net/core/failover net/net_failover \
		net/virtio_net; do
		cp "$kroot/drivers/$m.ko" "$inner/mods/" || skip "no module $m.ko in $kroot"
	done
}

# lab_linux_add_vmm IOVIRT [MODULE...]: the lab kernel's KVM modules (and the
# modules named, paths under $kroot) into $outer/mods, IOVIRT and its libraries
# (DPDK's plugin too) into $outer (as /bin/iovirt).
lab_linux_add_vmm() {
	local m
	mkdir -p "$outer/mods" "$outer/bin"
	for m in virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd "${@:2}"; do
		cp "$kroot/$m.ko" "$outer/mods/" || skip "no module $m.ko in $kroot"
	done
	lab_rootfs_add_binary "$outer" "$1" /bin/iovirt || skip "cannot copy $1 and its libraries"
}

# lab_linux_add_qemu: QEMU (qemu-system-x86_64, its libraries, and the firmware
# of microvm, pc and q35 with -kernel) into $outer, for `-L /qemu-fw`.
lab_linux_add_qemu() {
	local qemu lib
	qemu=$(command -v qemu-system-x86_64)
	mkdir -p "$outer/bin" "$outer/qemu-fw"
	cp "$qemu" "$outer/bin/qemu-system-x86_64"
	for lib in $(ldd "$qemu" | grep -o '/[^ ]*'); do
		mkdir -p "$outer$(dirname "$lib")" && cp -L "$lib" "$outer$lib"
	done
	cp -L /usr/share/qemu/bios-microvm.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin \
		/usr/share/seabios/bios-256k.bin "$outer/qemu-fw/" || skip "QEMU's firmware files are missing"
}

# lab_linux_boot FN: runs FN, one boot of the lab that returns 0 (pass), 1 (fail),
# 2 (a fault of the lab's own kernel, lab_log_fault: below iovirt) or 3 (the inner
# Linux triple faulted: an open problem, seen in 3 of 34 boots under iovirt
# and in none of 12 under QEMU in the lab, cause unknown; docs/lab.md). Either of
# the last two is said so and the boot made once more; at most two boots. Exits 0 or 1.
lab_linux_boot() {
	local attempt status
	for attempt in 1 2; do
		"$1"
		status=$?
		case $status in
		2) echo "LAB FAULT on boot $attempt of 2: not a failure of iovirt" ;;
		3) echo "TRIPLE FAULT of the inner Linux on boot $attempt of 2: the open problem of docs/lab.md" ;;
		*) exit $status ;;
		esac
	done
	echo "FAIL: two boots in a row ended in a lab fault or a triple fault"
	exit 1
}

# lab_linux_triple_fault LOG: when iovirt's output in LOG says the guest triple
# faulted, prints the last lines before it and returns 0; else returns 1.
lab_linux_triple_fault() {
	grep -a -q "guest stopped: triple fault" "$1" || return 1
	echo "--- the inner Linux's last lines (${1##*/}):"
	grep -a -B 15 "guest stopped: triple fault" "$1" | tr -d '\r'
}

# lab_linux_machine_args CMDLINE: sets the array lab_qemu to the command of the lab machine
# of lab/lib/machine.sh with $work/outer.gz and kernel command line
# CMDLINE, its first serial port on standard output, the second in $inner_log.
lab_linux_machine_args() {
	local a
	lab_qemu=()
	while IFS= read -r a; do
		if [ "$a" = -nographic ]; then
			lab_qemu+=(-display none -monitor none -serial stdio -serial "file:$inner_log")
		else
			lab_qemu+=("$a")
		fi
	done < <(lab_qemu_args "$kdir/vmlinuz" "$work/outer.gz" "$1")
}

# lab_linux_qemu_once NAME LIMIT PATTERN QEMU-COMMAND...: one boot of the lab, at most
# LIMIT seconds. The command writes the lab's console and /init's lines on standard
# output (kept in $log) and the inner Linux's console (iovirt's output) to $inner_log, so
# that an oops is known to be the lab's or the inner Linux's. Prints their lines matching
# PATTERN. Returns 0 pass (lab/lib/verdict.sh), 1 fail (with the
# last lines of both logs), 2 a fault of the lab's own kernel (lab_log_fault), 3 a
# triple fault of the inner Linux.
lab_linux_qemu_once() {
	local name=$1 limit=$2 pattern=$3 start rc why f
	shift 3
	start=$(date +%s)
	timeout "$limit" "$@" </dev/null 2>&1 | grep --line-buffered -v "TCG doesn't support" >"$log"
	rc=${PIPESTATUS[0]}
	echo "lab-$name: QEMU status $rc after $(($(date +%s) - start)) s"
	cat "$log" "$inner_log" | tr -d '\r' | grep -a -E "$pattern"
	lab_log_fault "$log" && return 2
	lab_linux_triple_fault "$inner_log" && return 3
	if ! why=$(lab_log_verdict "$log" "$name" "$rc" "$limit"); then
		echo "FAIL: $why"
		for f in "$log" "$inner_log"; do
			echo "--- last 40 lines of $(basename "$f"):"
			tail -n 40 "$f" | tr -d '\r'
		done
		return 1
	fi
	echo "PASS"
}

# lab_linux_pack [KERNEL]: $inner/init made executable, $inner packed as $outer/inner.gz, the
# lab kernel's KERNEL (vmlinuz, the default, or vmlinux) as $outer/guest-kernel, then
# $outer packed as $work/outer.gz. Call it once both /init scripts are written.
lab_linux_pack() {
	chmod +x "$inner/init" "$outer/init"
	(cd "$inner" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$outer/inner.gz"
	cp "$kdir/${1:-vmlinuz}" "$outer/guest-kernel"
	(cd "$outer" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/outer.gz"
}
