# The default nested guest scenario: prove the guest runs its userland and list
# what it sees (CPUs, memory, PCI devices).
echo "guest: $(grep -c ^processor /proc/cpuinfo) CPU(s), $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
for d in /sys/bus/pci/devices/*; do
	[ -e "$d" ] && echo "guest: pci $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device")"
done
[ -r /proc/uptime ]
