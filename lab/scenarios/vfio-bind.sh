# The guest NIC binds to vfio-pci through driver_override, its /dev/vfio/N appears
# and can be opened, and unbinding gives it back to e1000e.
. /lab/lib.sh

BDF=0000:00:03.0
DEV=/sys/bus/pci/devices/$BDF

rebind() {
	echo "$1" >"$DEV/driver_override" &&
		{ [ ! -e "$DEV/driver" ] || echo "$BDF" >"$DEV/driver/unbind"; } &&
		echo "$BDF" >/sys/bus/pci/drivers_probe
}

vfio_node_opens() {
	[ -c "/dev/vfio/$1" ] && (exec 3<>"/dev/vfio/$1") && echo "  /dev/vfio/$1 opened"
}

netif_back() {
	[ -n "$(ls "$DEV/net" 2>/dev/null)" ]
}

lab_check "e1000e drives $BDF at start" lab_wait 10 lab_pci_driver_is "$DEV" e1000e
group=$(lab_iommu_group "$DEV")
lab_check "$BDF is in IOMMU group '$group'" [ -n "$group" ]
lab_check "driver_override=vfio-pci and drivers_probe" rebind vfio-pci
lab_check "vfio-pci now drives $BDF" lab_pci_driver_is "$DEV" vfio-pci
lab_check "/dev/vfio/$group appears and opens" lab_wait 5 vfio_node_opens "$group"
iovirt devices --bdf "$BDF" | sed 's/^/  /'
lab_check "iovirt devices calls it vfio-bound" sh -c "iovirt devices --bdf $BDF --json | grep '\"verdict\": \"vfio-bound\"' >/dev/null"
lab_check "clearing driver_override and reprobing" rebind ""
lab_check "e1000e drives $BDF again" lab_wait 10 lab_pci_driver_is "$DEV" e1000e
lab_check "its network interface is back" lab_wait 10 netif_back
lab_check "/dev/vfio/$group is gone" lab_wait 5 [ ! -e "/dev/vfio/$group" ]
lab_done
