# IOMMU groups exist, every PCI device is in one, and iovirt's inventory sees them
# (iovirt devices / iovirt groups on a host with a real IOMMU).
. /lab/lib.sh

GUEST_NIC=/sys/bus/pci/devices/0000:00:03.0

groups_exist() {
	[ -n "$(ls /sys/kernel/iommu_groups)" ]
}

every_device_grouped() {
	local d ok=0
	for d in /sys/bus/pci/devices/*; do
		if [ -e "$d/iommu_group" ]; then
			echo "  $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") group $(lab_iommu_group "$d")"
		else
			echo "  $(basename "$d") has no IOMMU group"
			ok=1
		fi
	done
	return $ok
}

# iovirt groups --json lists as many groups as sysfs has and says there is an IOMMU.
iovirt_groups_match() {
	local want got
	iovirt groups --json >/tmp/groups.json || return 1
	want=$(ls /sys/kernel/iommu_groups | wc -l)
	got=$(grep -c '^      "id": ' /tmp/groups.json)
	echo "  iovirt groups --json: $got groups, sysfs: $want"
	grep -q '^  "iommu": true' /tmp/groups.json && [ "$got" -eq "$want" ]
}

# The guest NIC's verdict is one an IOMMU host gives (ready), not no-iommu.
iovirt_nic_verdict() {
	local verdict
	iovirt devices --bdf 0000:00:03.0 --json >/tmp/nic.json || return 1
	verdict=$(sed -n 's/^ *"verdict": "\(.*\)",*$/\1/p' /tmp/nic.json)
	echo "  iovirt devices: 0000:00:03.0 verdict '$verdict'"
	[ "$verdict" = ready ]
}

lab_check "IOMMU groups exist in /sys/kernel/iommu_groups" groups_exist
lab_check "every PCI device has an IOMMU group" every_device_grouped
lab_check "the guest NIC 0000:00:03.0 is an e1000e (8086:10d3)" \
	[ "$(cat $GUEST_NIC/vendor):$(cat $GUEST_NIC/device)" = 0x8086:0x10d3 ]
echo "---- iovirt devices"
iovirt devices
echo "---- iovirt groups"
iovirt groups
echo "----"
lab_check "iovirt groups --json reports the IOMMU and every group" iovirt_groups_match
lab_check "iovirt devices gives the e1000e the verdict 'ready'" iovirt_nic_verdict
lab_done
