# iovirt sriov and split on the NVMe PF: enable, refusals, holders, disable.
# Enable 2 (read back), the refusals (above TotalVFs, N then M without 0, disable while
# a VF is open through VFIO, naming the PID), idempotence, disable, and the split plan
# (its VF addresses from the SR-IOV capability before the VFs exist).
. /lab/lib.sh

PF=$(lab_pci_find 0x1b36 0x0010 | sed -n 1p)
BDF=$(basename "$PF")

bind_vfio() {
	echo vfio-pci >"$1/driver_override" && echo "$(basename "$(readlink -f "$1")")" >/sys/bus/pci/drivers_probe
}

unbind() {
	echo "" >"$1/driver_override"
	[ ! -e "$1/driver" ] || echo "$(basename "$(readlink -f "$1")")" >"$1/driver/unbind"
}

lab_check "an NVMe PF 1b36:0010 exists" [ -n "$PF" ]
[ -n "$PF" ] || lab_done
lab_check "the nvme driver drives the PF" lab_wait 20 lab_pci_driver_is "$PF" nvme
lab_check "sriov list: 0 of 2 VFs" lab_runs 0 "VFs 0 of 2" iovirt sriov list "$BDF"
# The VF addresses the plan computes from the PF's SR-IOV capability, before the VFs exist.
planned_bdfs() {
	iovirt split "$BDF" --guests 2 --json | sed -n 's/.*"bdf": "\(.*\)".*/\1/p' | tr '\n' ' '
}
linked_bdfs() {
	for vf in "$PF"/virtfn0 "$PF"/virtfn1; do printf '%s ' "$(basename "$(readlink "$vf")")"; done
}
PLANNED=$(planned_bdfs)
echo "  planned VF addresses: $PLANNED"
lab_check "split before enable computes two VF addresses" [ "$(echo $PLANNED | wc -w)" = 2 ]
lab_check "the libvirt export before enable has both" lab_runs 0 "function='0x2'" \
	iovirt split "$BDF" --guests 2 --export libvirt
lab_check "enable 3 (above TotalVFs) is refused" lab_runs 1 "at most 2 VFs" iovirt sriov enable "$BDF" --vfs 3
lab_check "enable 2 with autoprobe off" lab_runs 0 "2 VFs \(was 0\)" \
	iovirt sriov enable "$BDF" --vfs 2 --autoprobe off
lab_check "the VFs sit where the plan said" [ "$(linked_bdfs)" = "$PLANNED" ]
lab_check "sriov_numvfs reads back 2" [ "$(cat "$PF/sriov_numvfs")" = 2 ]
lab_check "sriov_drivers_autoprobe is 0" [ "$(cat "$PF/sriov_drivers_autoprobe")" = 0 ]
lab_check "enable 2 again changes nothing" lab_runs 0 "nothing changed" iovirt sriov enable "$BDF" --vfs 2
lab_check "enable 1 without going through 0 is refused" lab_runs 1 "only through 0" \
	iovirt sriov enable "$BDF" --vfs 1
lab_check "sriov list --json: both VFs with their IOMMU groups" lab_runs 0 '"iommu_group": [0-9]+' \
	iovirt sriov list "$BDF" --json
lab_check "split plan for 2 guests uses both VFs" lab_runs 0 "guest 1: VF 1 0000:" iovirt split "$BDF" --guests 2
VF=$PF/virtfn1
lab_check "VF 1 binds to vfio-pci" bind_vfio "$VF"
lab_check "vfio-pci drives VF 1" lab_wait 10 lab_pci_driver_is "$VF" vfio-pci
group=$(lab_iommu_group "$VF")
sleep 600 3<>"/dev/vfio/$group" &
holder=$!
lab_check "a process holds /dev/vfio/$group open" lab_wait 5 [ -e "/proc/$holder/fd/3" ]
lab_check "disable while VF 1 is open is refused, naming PID $holder" lab_runs 1 "open by PID $holder" \
	iovirt sriov disable "$BDF"
lab_check "the VFs are still there" [ "$(cat "$PF/sriov_numvfs")" = 2 ]
kill "$holder"
wait "$holder" 2>/dev/null
lab_check "VF 1 leaves vfio-pci" unbind "$VF"
lab_check "disable" lab_runs 0 "0 VFs \(was 2\)" iovirt sriov disable "$BDF"
lab_check "the VFs are gone" lab_wait 5 [ ! -e "$PF/virtfn0" ]
lab_check "disable again changes nothing" lab_runs 0 "nothing changed" iovirt sriov disable "$BDF"
lab_done
