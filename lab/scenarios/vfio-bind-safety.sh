# iovirt bind/unbind on the real kernel: idempotent, refusals that name what is at stake
# (a non-viable group, the interface with the default route, a group held open), rollback on
# an injected failure.
. /lab/lib.sh

BDF=0000:00:03.0
DEV=/sys/bus/pci/devices/$BDF
ROUTED=0000:00:04.0
ROUTED_MAC=52:54:00:1a:b0:02
ICH9=0000:00:1f.2
STATE=/run/iovirt/bind
IP=/usr/local/bin/ip
OUT=/tmp/bind.out

# run_iovirt EXPECTED_EXIT ARGS...: runs iovirt, output in $OUT (and shown), checks the exit code.
run_iovirt() {
	local want=$1 rc
	shift
	iovirt "$@" >"$OUT" 2>&1
	rc=$?
	sed 's/^/  | /' "$OUT"
	echo "  iovirt $* -> exit $rc (want $want)"
	[ "$rc" -eq "$want" ]
}

said() {
	grep -q -- "$1" "$OUT"
}

override_clear() {
	[ "$(cat "$DEV/driver_override")" = "(null)" ]
}

give_routed_nic_default_route() {
	local ifname
	ifname=$(lab_netif_by_mac "$ROUTED_MAC") || return 1
	$IP link set "$ifname" up && $IP addr add 10.78.0.2/24 dev "$ifname" &&
		$IP route add default dev "$ifname" && echo "  default route via $ifname" &&
		echo "$ifname" >/tmp/routed-if
}

lab_check "e1000e drives $BDF at start" lab_wait 10 lab_pci_driver_is "$DEV" e1000e

lab_check "bind $BDF" run_iovirt 0 bind "$BDF"
lab_check "  it names the change e1000e -> vfio-pci" said "bound: e1000e -> vfio-pci"
lab_check "  vfio-pci drives $BDF" lab_pci_driver_is "$DEV" vfio-pci
lab_check "  e1000e is remembered in $STATE/$BDF" [ "$(cat "$STATE/$BDF")" = e1000e ]
lab_check "bind $BDF again changes nothing" run_iovirt 0 bind "$BDF"
lab_check "  and says so" said "nothing to do: already bound to vfio-pci"
lab_check "  vfio-pci still drives $BDF" lab_pci_driver_is "$DEV" vfio-pci

# A process holding the group open: the kernel would block the unbind, so iovirt refuses it.
hold_group() {
	local group
	group=$(lab_iommu_group "$DEV") || return 1
	sh -c "exec 3<>/dev/vfio/$group && exec sleep 60" &
	echo $! >/tmp/holder
	lab_wait 5 [ -e "/proc/$!/fd/3" ] && echo "  PID $! holds /dev/vfio/$group"
}

release_group() {
	kill "$(cat /tmp/holder)" && wait "$(cat /tmp/holder)" 2>/dev/null
	return 0
}

lab_check "a process holds $BDF's VFIO group open" hold_group
lab_check "unbind $BDF is refused" run_iovirt 1 unbind "$BDF"
lab_check "  naming the PID" said "is in use by PID $(cat /tmp/holder) (sleep)"
lab_check "  vfio-pci still drives $BDF" lab_pci_driver_is "$DEV" vfio-pci
release_group

lab_check "unbind $BDF" run_iovirt 0 unbind "$BDF"
lab_check "  it names the change vfio-pci -> e1000e" said "unbound: vfio-pci -> e1000e"
lab_check "  e1000e drives $BDF again" lab_pci_driver_is "$DEV" e1000e
lab_check "  driver_override is cleared" override_clear
lab_check "  the state file is gone" [ ! -e "$STATE/$BDF" ]
lab_check "unbind $BDF again changes nothing" run_iovirt 0 unbind "$BDF"
lab_check "  and says so" said "nothing to do: not bound to a VFIO driver (driver: e1000e)"

# The writes are driver_override, driver/unbind, drivers_probe: the third fails between unbind and bind.
fault_bind() {
	export IOVIRT_FAULT_BIND_STEP=3
	run_iovirt 1 bind "$BDF"
	local rc=$?
	unset IOVIRT_FAULT_BIND_STEP
	return $rc
}

lab_check "a failure injected at drivers_probe (write 3) fails the bind" fault_bind
lab_check "  it says the write failed and the device went back" said "returned to e1000e"
lab_check "  e1000e drives $BDF again" lab_wait 10 lab_pci_driver_is "$DEV" e1000e
lab_check "  driver_override is cleared" override_clear
lab_check "  no state is left" [ ! -e "$STATE/$BDF" ]

smbus_bound() {
	modprobe i2c-i801 && lab_wait 5 lab_pci_driver_is /sys/bus/pci/devices/0000:00:1f.3 i801_smbus
}

lab_check "i801_smbus drives 0000:00:1f.3, in the group of $ICH9" smbus_bound
lab_check "binding $ICH9 alone is refused" run_iovirt 1 bind "$ICH9"
lab_check "  the group is named not viable" said "is not viable"
lab_check "  its other members are named with their drivers" said "0000:00:1f.3 ([^)]*) is bound to i801_smbus"
lab_check "  $ICH9 keeps its driver" [ "$(lab_pci_driver /sys/bus/pci/devices/$ICH9)" != vfio-pci ]

lab_check "the interface of $ROUTED gets the default route" give_routed_nic_default_route
lab_check "binding $ROUTED is refused" run_iovirt 1 bind "$ROUTED"
lab_check "  naming the interface and the default route" said "$(cat /tmp/routed-if) carries the host's default route"
lab_check "  e1000e keeps $ROUTED" lab_pci_driver_is /sys/bus/pci/devices/$ROUTED e1000e
lab_check "--force --dry-run would take it" run_iovirt 0 bind --force --dry-run "$ROUTED"
lab_check "  saying what the host loses" said "--force: $(cat /tmp/routed-if) carries the host's default route"
lab_done
