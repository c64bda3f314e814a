# The two e1000e NICs, each in its own network namespace, ping each other across
# QEMU's hub; the lab has no other network interface (no way out).
. /lab/lib.sh

GUEST_MAC=52:54:00:1a:b0:01
HOST_MAC=52:54:00:1a:b0:02
# iproute2's ip (busybox's lacks netns); by path, as busybox sh prefers its applets.
IP=/usr/local/bin/ip

only_lab_nics() {
	local n count=0
	for n in /sys/class/net/*; do
		[ "$(basename "$n")" = lo ] && continue
		echo "  interface $(basename "$n") $(cat "$n/address")"
		count=$((count + 1))
	done
	[ "$count" -eq 2 ]
}

netns_setup() {
	local ns=$1 mac=$2 addr=$3 ifname
	ifname=$(lab_netif_by_mac "$mac") || return 1
	$IP netns add "$ns" &&
		$IP link set "$ifname" netns "$ns" &&
		$IP -n "$ns" link set lo up &&
		$IP -n "$ns" addr add "$addr/24" dev "$ifname" &&
		$IP -n "$ns" link set "$ifname" up && echo "  $ifname ($mac) in $ns as $addr"
}

nics_bound() {
	[ "$(ls -d /sys/bus/pci/drivers/e1000e/0000:* 2>/dev/null | wc -l)" -eq 2 ]
}

netifs_present() {
	lab_netif_by_mac "$GUEST_MAC" >/dev/null && lab_netif_by_mac "$HOST_MAC" >/dev/null
}

link_up() {
	$IP -n "$1" -o link show | grep -v ' lo:' | grep LOWER_UP >/dev/null
}

ping_from() {
	$IP netns exec "$1" ping -c 3 -W 3 "$2"
}

lab_check "e1000e drives both NICs" lab_wait 15 nics_bound
lab_check "an interface exists for each MAC" lab_wait 10 netifs_present
lab_check "the lab has exactly two NICs besides lo" only_lab_nics
lab_check "guest-side NIC in netns a" netns_setup a "$GUEST_MAC" 10.77.0.1
lab_check "lab-side NIC in netns b" netns_setup b "$HOST_MAC" 10.77.0.2
lab_check "link up in a" lab_wait 20 link_up a
lab_check "link up in b" lab_wait 20 link_up b
lab_check "a pings b across the hub" ping_from a 10.77.0.2
lab_check "b pings a across the hub" ping_from b 10.77.0.1
lab_done
