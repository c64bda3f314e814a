# The lab machine: QEMU options and one boot with a time limit (sourced).
#
# PCI layout the scenarios rely on (TESTING.md):
#   00:03.0  e1000e 8086:10d3, MAC 52:54:00:1a:b0:01: the NIC handed to guests
#   00:04.0  e1000e 8086:10d3, MAC 52:54:00:1a:b0:02: the NIC the lab kernel keeps
#   00:05.0  pcie-root-port rp0, behind it 01:00.0 the NVMe PF 1b36:0010 (2 VFs)
# Both NICs sit on QEMU hub 0 and nothing else does: no user, tap or socket
# netdev, so no frame leaves the lab.

LAB_GUEST_NIC_MAC=52:54:00:1a:b0:01
LAB_HOST_NIC_MAC=52:54:00:1a:b0:02

# TCG runs both vCPUs in one thread: with one thread per vCPU (MTTCG), labs that
# ran nested KVM guests stalled for good in 5 of 18 boots (the RCU grace-period
# kthread starved on CPU 1); single-threaded they never did (docs/lab.md).
# IOVIRT_LAB_ACCEL overrides the -accel option.
LAB_ACCEL=${IOVIRT_LAB_ACCEL:-tcg,thread=single}

# Prints the QEMU command line, one argument per line, for kernel $1, initrd $2,
# kernel command line $3.
lab_qemu_args() {
	printf '%s\n' qemu-system-x86_64 \
		-M q35,kernel-irqchip=split -accel "$LAB_ACCEL" -cpu EPYC,+svm,+npt -smp 2 -m 2048 \
		-nographic -no-reboot -vga none -nic none \
		-device intel-iommu,intremap=on,caching-mode=on \
		-netdev hubport,id=hp0,hubid=0 -netdev hubport,id=hp1,hubid=0 \
		-device "e1000e,netdev=hp0,mac=$LAB_GUEST_NIC_MAC,addr=03.0,romfile=" \
		-device "e1000e,netdev=hp1,mac=$LAB_HOST_NIC_MAC,addr=04.0,romfile=" \
		-device pcie-root-port,id=rp0,chassis=1,addr=05.0 \
		-device nvme-subsys,id=subsys0 \
		-device nvme,serial=iovirtlab0,subsys=subsys0,bus=rp0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=8 \
		-kernel "$1" -initrd "$2" -append "$3"
}

# Boots kernel $1 with initrd $2 and command line $3, the serial console going to
# log $4, killed after $5 seconds. Returns QEMU's status (124 on timeout).
lab_boot() {
	local kernel=$1 initrd=$2 cmdline=$3 log=$4 limit=$5 args
	mapfile -t args < <(lab_qemu_args "$kernel" "$initrd" "$cmdline")
	printf '# %s\n' "${args[*]}" >"$log"
	timeout -k 5 "$limit" "${args[@]}" </dev/null >>"$log" 2>&1
}
