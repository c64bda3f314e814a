#!/bin/bash
# The Linux loader against the real Debian kernel: the one the lab boots, taken
# from (or fetched into) the lab's kernel cache exactly as the lab does
# (lab/lib/kernel.sh). IOVIRT_TEST_BZIMAGE / IOVIRT_TEST_VMLINUX, when set, win.
# Skips (77) only when no kernel can be had: apt offline and nothing cached.
# usage: boot-linux-debian.sh TEST-BOOT-LINUX
set -uo pipefail
test_exe=$1
lab=$(cd "$(dirname "$0")/../../lab" && pwd)
# shellcheck source=/dev/null
. "$lab/lib/common.sh"
# shellcheck source=/dev/null
. "$lab/lib/kernel.sh"

if [ -z "${IOVIRT_TEST_BZIMAGE:-}" ] && [ -z "${IOVIRT_TEST_VMLINUX:-}" ]; then
	lab_kernel_fetch
	export IOVIRT_TEST_BZIMAGE=$LAB_KDIR/vmlinuz IOVIRT_TEST_VMLINUX=$LAB_KDIR/vmlinux
	echo "kernel: $LAB_KDIR (release $LAB_KRELEASE)"
fi
exec "$test_exe" --debian
