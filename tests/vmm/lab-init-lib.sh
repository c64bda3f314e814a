# shellcheck shell=sh
# Helpers for the two /init scripts of a lab-*-linux.sh test, the lab machine's (outer) and
# its Linux guest's under iovirt (inner): copied into both initramfs trees as /lib.sh by
# lab_linux_prepare and sourced by busybox sh.

# init_start TAG: busybox's applets on PATH, /proc, /sys and /dev mounted; TAG starts every
# line of say and check ("IOVIRT-LAB-CHECK" for the lab's own checks, lab/lib/verdict.sh).
init_start() {
	/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
	/bin/busybox --install -s /bin
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	INIT_TAG=$1
	INIT_FAILED=0
}

say() { echo "$INIT_TAG: $*"; }

# check WHAT CMD...: one "TAG: ok WHAT" or "TAG: FAIL WHAT" line; a failure is remembered.
check() {
	what=$1
	shift
	if "$@"; then say "ok $what"; else say "FAIL $what"; INIT_FAILED=1; fi
}

# init_insmod MODULE...: /mods/MODULE.ko in order, a FAIL line for each that fails.
init_insmod() {
	for m in "$@"; do
		insmod "/mods/$m.ko" || { say "FAIL insmod $m"; INIT_FAILED=1; }
	done
}

# init_result NAME: the lab's result marker, PASS when no check failed, and power off.
init_result() {
	if [ "$INIT_FAILED" = 0 ]; then
		echo "IOVIRT-LAB-RESULT: $1 PASS"
	else
		echo "IOVIRT-LAB-RESULT: $1 FAIL"
	fi
	poweroff -f
}

# inner_ifc DRIVER: prints the interface (eth*) DRIVER drives, waiting up to 10 s;
# nothing when none appears.
inner_ifc() {
	i=0
	while [ $i -lt 50 ]; do
		for d in /sys/class/net/eth*; do
			[ "$(basename "$(readlink "$d/device/driver")")" = "$1" ] && { echo "${d##*/}"; return 0; }
		done
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# inner_carrier IFC: waits up to 20 s for IFC's carrier; true when it is up.
inner_carrier() {
	i=0
	while [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]
}
