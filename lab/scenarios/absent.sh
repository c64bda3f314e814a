# Expects a device the lab does not have (an Intel X710, 8086:1572): this
# scenario must fail, which proves a missing device is reported as a failure.
. /lab/lib.sh

lab_check "a PCI device 8086:1572 (Intel X710) is present" [ -n "$(lab_pci_find 0x8086 0x1572)" ]
lab_done
