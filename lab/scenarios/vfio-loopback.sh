# The VFIO host library drives the guest NIC: MAC loopback of one frame through mapped DMA, MSI-X on an eventfd.
. /lab/lib.sh

BDF=0000:00:03.0
DEV=/sys/bus/pci/devices/$BDF
TOOL=iovirt-lab-vfio-loopback

rebind() {
	echo "$1" >"$DEV/driver_override" &&
		{ [ ! -e "$DEV/driver" ] || echo "$BDF" >"$DEV/driver/unbind"; } &&
		echo "$BDF" >/sys/bus/pci/drivers_probe
}

# Each "ok ..." / "FAIL ..." line of the tool becomes a check.
tool_checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) lab_pass "${line#ok }" ;;
		"FAIL "*) lab_fail "${line#FAIL }" ;;
		*) echo "  $line" ;;
		esac
	done <"$1"
}

tool_present() {
	command -v "$TOOL" >/dev/null
}

lab_check "the vfio-loopback tool is in the lab" tool_present
lab_check "e1000e drives $BDF at start" lab_wait 10 lab_pci_driver_is "$DEV" e1000e
lab_check "driver_override=vfio-pci and drivers_probe" rebind vfio-pci
lab_check "vfio-pci now drives $BDF" lab_wait 5 lab_pci_driver_is "$DEV" vfio-pci
lab_check "IOMMU group $(lab_iommu_group "$DEV") has its /dev/vfio node" \
	lab_wait 5 [ -c "/dev/vfio/$(lab_iommu_group "$DEV")" ]
timeout 120 "$TOOL" "$BDF" >/tmp/vfio-loopback.out 2>&1
rc=$?
tool_checks /tmp/vfio-loopback.out
lab_check "the tool exits 0 (status $rc)" [ "$rc" -eq 0 ]
lab_check "clearing driver_override and reprobing" rebind ""
lab_check "e1000e drives $BDF again" lab_wait 10 lab_pci_driver_is "$DEV" e1000e
lab_done
