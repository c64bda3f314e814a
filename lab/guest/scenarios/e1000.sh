# Linux's e1000 driver on iovirt's 82540EM model: probe, link, ARP out and echoed back
# (run by tests/vmm/e1000-linux.c through lab/scenarios/e1000-linux.sh).
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || { echo "guest: no eth0"; dmesg | grep -i e1000; exit 1; }
echo "guest: eth0 driver $(basename "$(readlink /sys/class/net/eth0/device/driver)") mac $(cat /sys/class/net/eth0/address)"
ip link set eth0 up
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
echo "guest: carrier $(cat /sys/class/net/eth0/carrier) speed $(cat /sys/class/net/eth0/speed) duplex $(cat /sys/class/net/eth0/duplex)"
ip addr add 10.9.0.1/24 dev eth0
ping -c 3 -W 1 10.9.0.2 >/dev/null 2>&1
tx=$(cat /sys/class/net/eth0/statistics/tx_packets)
rx=$(cat /sys/class/net/eth0/statistics/rx_packets)
echo "guest: tx_packets $tx rx_packets $rx rx_errors $(cat /sys/class/net/eth0/statistics/rx_errors)"
dmesg | grep -i e1000 | sed 's/^/guest: dmesg: /'
[ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && [ "$tx" -gt 0 ] && [ "$rx" -gt 0 ] &&
	[ "$(cat /sys/class/net/eth0/statistics/rx_errors)" = 0 ]
