# Linux's e1000 driver on the e1000 model under the VMM, in the lab's nested KVM; needs the payloads (docs/devices.md).
. /lab/lib.sh

lab_check "the payloads hold e1000-linux and a guest kit with the e1000 scenario" \
	test -x /payload/e1000/e1000-linux -a -f /payload/kit/vmlinuz -a -f /payload/kit/initramfs.cpio.gz
lab_check "Linux probes the model, gets a link, sends and receives (within 480 s)" \
	sh -c 'timeout 480 /payload/e1000/e1000-linux /payload/kit/vmlinuz /payload/kit/initramfs.cpio.gz 420 \
		>/tmp/e1000-linux.log 2>&1; cat /tmp/e1000-linux.log; grep -q "IOVIRT-GUEST-RESULT: .* PASS" /tmp/e1000-linux.log'
lab_done
