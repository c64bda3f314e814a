# iovirt split --apply --launch on the NVMe PF: two guests under iovirt, each given its own VF.
# Apply (2 VFs, both on vfio-pci), apply again (nothing changes), bring the VFs' NVMe
# controllers online (nvme virt-mgmt on the PF), launch two guests of pci-list.elf (each
# lists the PCI functions it sees and the first registers of their BARs), check that each
# sees one NVMe function whose BAR 0 reads back the controller's version register, that
# each holds exactly its own VF's group, that a third VMM asking for VF 0 and disabling the
# VFs are refused naming a guest's PID; then a bind failure during --apply undoes everything.
. /lab/lib.sh

PF=$(lab_pci_find 0x1b36 0x0010 | sed -n 1p)
BDF=$(basename "$PF")
IMAGE=/usr/local/share/iovirt/pci-list.elf
LOGS=/tmp/split

# holds PID GROUP: process PID has /dev/vfio/GROUP open.
holds() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q " /dev/vfio/$2\$"
}

# vf_online N: the secondary controller of VF N (QEMU numbers it the PF's CNTLID + N) gets
# 2 queues and 1 interrupt, then goes online: until then QEMU's VF reads its registers as 0.
vf_online() {
	local scid=$(($(cat /sys/class/nvme/nvme0/cntlid) + $1))
	nvme virt-mgmt /dev/nvme0 -c "$scid" -r 0 -a 8 -n 2 &&
		nvme virt-mgmt /dev/nvme0 -c "$scid" -r 1 -a 8 -n 1 &&
		nvme virt-mgmt /dev/nvme0 -c "$scid" -a 9
}

# ended PID: the process is gone, or a zombie (the lab's /init reaps the guests late).
ended() {
	[ ! -d "/proc/$1" ] || grep -q "^State:.*Z" "/proc/$1/status"
}

# nvme_functions LOG: how many NVMe functions (class 0108xx) the guest listed.
nvme_functions() {
	grep -c "class 0108" "$1"
}

lab_check "an NVMe PF 1b36:0010 exists" [ -n "$PF" ]
lab_check "the guest image is in the lab" [ -f "$IMAGE" ]
lab_check "/dev/kvm" [ -c /dev/kvm ]
[ -n "$PF" ] && [ -f "$IMAGE" ] || lab_done
lab_check "the nvme driver drives the PF" lab_wait 20 lab_pci_driver_is "$PF" nvme
lab_check "split --apply: 2 VFs, bound to vfio-pci" lab_runs 0 "Applied: VFs 0 -> 2 .*bound to vfio-pci 2" \
	iovirt split "$BDF" --guests 2 --apply
VF0=$PF/virtfn0
VF1=$PF/virtfn1
lab_check "VF 0 on vfio-pci" lab_pci_driver_is "$VF0" vfio-pci
lab_check "VF 1 on vfio-pci" lab_pci_driver_is "$VF1" vfio-pci
lab_check "split --apply again changes nothing" lab_runs 0 "Applied: nothing changed" \
	iovirt split "$BDF" --guests 2 --apply
lab_check "VF 1's controller online" vf_online 1
lab_check "VF 2's controller online" vf_online 2
nvme list-secondary /dev/nvme0 | sed 's/^/  /'
mkdir -p "$LOGS"
lab_check "split --launch starts two guests" lab_runs 0 "guest 1: PID [0-9]+" \
	iovirt split "$BDF" --guests 2 --apply --launch --log-dir "$LOGS" -- --guest "$IMAGE" --mem 64M
PID0=$(sed -n 's/^guest 0: PID \([0-9]*\).*/\1/p' /tmp/lab-runs.out)
PID1=$(sed -n 's/^guest 1: PID \([0-9]*\).*/\1/p' /tmp/lab-runs.out)
G0=$(lab_iommu_group "$VF0")
G1=$(lab_iommu_group "$VF1")
for g in 0 1; do
	lab_check "guest $g listed its PCI functions" lab_wait 30 grep -q "pci-list: [0-9]* functions" "$LOGS/split-guest-$g.log"
	sed "s/^/  guest $g: /" "$LOGS/split-guest-$g.log"
	lab_check "guest $g sees exactly one NVMe function" [ "$(nvme_functions "$LOGS/split-guest-$g.log")" = 1 ]
	lab_check "guest $g reads NVMe 1.4 in its VF's version register (BAR 0 + 8)" \
		grep -q -E "^  bar0 0x[0-9a-f]+ size 0x[0-9a-f]+: [0-9a-f]+ [0-9a-f]+ 10400 " "$LOGS/split-guest-$g.log"
done
lab_check "guest 0 holds VF 0's group $G0" holds "$PID0" "$G0"
lab_check "guest 0 does not hold VF 1's group $G1" eval "! holds $PID0 $G1"
lab_check "guest 1 holds VF 1's group $G1" holds "$PID1" "$G1"
lab_check "guest 1 does not hold VF 0's group $G0" eval "! holds $PID1 $G0"
lab_check "a second VMM on VF 0 is refused: in use by guest 0" lab_runs 1 "in use by PID $PID0 \(iovirt\)" \
	iovirt run --guest "$IMAGE" --mem 64M --timeout 20 --vfio "$(basename "$(readlink "$VF0")")"
lab_check "disabling the VFs is refused, naming a guest" lab_runs 1 "open by PID ($PID0|$PID1) \(iovirt\)" \
	iovirt sriov disable "$BDF"
kill "$PID0" "$PID1" 2>/dev/null
lab_check "the guests end" lab_wait 10 eval "ended $PID0 && ended $PID1"
lab_check "the VFs return to no driver" lab_runs 0 "" iovirt unbind "$(basename "$(readlink "$VF0")")" \
	"$(basename "$(readlink "$VF1")")"
lab_check "disable" lab_runs 0 "0 VFs \(was 2\)" iovirt sriov disable "$BDF"
echo 1 >"$PF/sriov_drivers_autoprobe"
lab_check "a bind failure during --apply undoes every change" lab_runs 1 "every change was undone" \
	env IOVIRT_FAULT_BIND_STEP=3 iovirt split "$BDF" --guests 2 --apply
lab_check "no VFs after the undo" [ "$(cat "$PF/sriov_numvfs")" = 0 ]
lab_check "autoprobe back on after the undo" [ "$(cat "$PF/sriov_drivers_autoprobe")" = 1 ]
lab_done
