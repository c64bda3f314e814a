# Helpers for lab scenarios (sourced by each /lab/scenarios/*.sh, busybox sh).
# A scenario prints one IOVIRT-LAB-CHECK line per check and exits non-zero when
# any check failed; the first failure becomes the detail of its result marker.

LAB_FAILED=0

lab_pass() {
	echo "IOVIRT-LAB-CHECK: ok $*"
}

lab_fail() {
	echo "IOVIRT-LAB-CHECK: FAIL $*"
	[ -s /tmp/lab-detail ] || echo "$*" >/tmp/lab-detail
	LAB_FAILED=1
}

# lab_check WHAT COMMAND...: one check; passes when COMMAND succeeds.
lab_check() {
	local what=$1
	shift
	if "$@"; then
		lab_pass "$what"
	else
		lab_fail "$what"
	fi
}

# lab_wait SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
lab_wait() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# lab_runs STATUS PATTERN CMD...: CMD exits with STATUS and its output (shown, indented)
# matches the extended regex PATTERN. The output stays in /tmp/lab-runs.out.
lab_runs() {
	local want=$1 pattern=$2 status
	shift 2
	"$@" >/tmp/lab-runs.out 2>&1
	status=$?
	sed 's/^/  /' /tmp/lab-runs.out
	[ "$status" = "$want" ] && grep -q -E -- "$pattern" /tmp/lab-runs.out
}

lab_done() {
	exit "$LAB_FAILED"
}

# Prints the sysfs directory of every PCI device with vendor $1 and device $2 (hex, 0x...).
lab_pci_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] && echo "$d"
	done
}

lab_pci_driver() {
	[ -e "$1/driver" ] && basename "$(readlink "$1/driver")"
}

lab_pci_driver_is() {
	[ "$(lab_pci_driver "$1")" = "$2" ]
}

lab_iommu_group() {
	[ -e "$1/iommu_group" ] && basename "$(readlink "$1/iommu_group")"
}

# Prints the network interface with MAC $1.
lab_netif_by_mac() {
	local n
	for n in /sys/class/net/*; do
		[ "$(cat "$n/address")" = "$1" ] && basename "$n" && return 0
	done
	return 1
}
