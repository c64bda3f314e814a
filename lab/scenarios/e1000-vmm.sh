# The e1000 model's vmm-tier test (tests/vmm/test-e1000.c) on the lab's nested KVM; needs its payload (docs/devices.md).
. /lab/lib.sh

lab_check "the payload /payload/e1000 holds test-e1000 and its guest image" \
	test -x /payload/e1000/test-e1000 -a -f /payload/e1000/test-e1000.elf
lab_check "test-e1000: a guest drives the e1000 model (within 180 s)" \
	timeout 180 /payload/e1000/test-e1000 /payload/e1000/test-e1000.elf
lab_done
