# sriov_numvfs on the NVMe PF: 2 creates two VFs, each in its own IOMMU group;
# 0 removes them; more than sriov_totalvfs is refused.
. /lab/lib.sh

PF=$(lab_pci_find 0x1b36 0x0010 | sed -n 1p)

set_numvfs() {
	echo "$1" >"$PF/sriov_numvfs"
}

vf_groups_distinct() {
	local vf g seen
	seen=" $(lab_iommu_group "$PF") "
	for vf in "$PF"/virtfn0 "$PF"/virtfn1; do
		g=$(lab_iommu_group "$vf")
		echo "  $(basename "$(readlink "$vf")") $(cat "$vf/vendor"):$(cat "$vf/device") group '${g}'"
		[ -n "$g" ] || return 1
		case $seen in *" $g "*) return 1 ;; esac
		seen="$seen$g "
	done
}

vfs_gone() {
	[ ! -e "$PF/virtfn0" ] && [ ! -e "$PF/virtfn1" ] && [ "$(cat "$PF/sriov_numvfs")" = 0 ]
}

lab_check "an NVMe PF 1b36:0010 exists" [ -n "$PF" ]
[ -n "$PF" ] || lab_done
echo "  PF $(basename "$PF") group $(lab_iommu_group "$PF")"
lab_check "the nvme driver drives the PF" lab_wait 20 lab_pci_driver_is "$PF" nvme
lab_check "sriov_totalvfs is 2" [ "$(cat "$PF/sriov_totalvfs")" = 2 ]
# VFs stay unbound: QEMU's VFs report not-ready until given resources, and the
# VFIO-level tests later need them free.
echo 0 >"$PF/sriov_drivers_autoprobe"
lab_check "sriov_numvfs=2 is accepted" set_numvfs 2
lab_check "sriov_numvfs reads back 2" [ "$(cat "$PF/sriov_numvfs")" = 2 ]
lab_check "two VFs exist, each in its own IOMMU group" vf_groups_distinct
iovirt devices --class 0108 | sed 's/^/  /'
lab_check "sriov_numvfs=3 (above sriov_totalvfs) is refused" sh -c "! echo 3 >$PF/sriov_numvfs"
lab_check "sriov_numvfs=0 is accepted" set_numvfs 0
lab_check "the VFs are gone" lab_wait 5 vfs_gone
lab_done
