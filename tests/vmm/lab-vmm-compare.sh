#!/bin/bash
# Lab benchmark: the same Debian kernel and initramfs booted under `iovirt run`
# and under QEMU 7.2 (-accel kvm; machines microvm,rtc=on, pc and q35), inside
# the lab (nested KVM on QEMU TCG): one untimed warm-up round, then N rounds of
# one boot per VMM. For each VMM: time from the VMM's start to the inner init's
# marker and to the VMM's exit (the lab kernel's uptime; median, min and max),
# KVM exits per boot (the lab's debugfs counter /sys/kernel/debug/kvm/exits,
# which sums over live VMs, sampled every 0.1 s: one VM runs at a time), and
# the ratio of iovirt's medians to each QEMU machine's. The warm-up boots dump
# the inner kernel's log; the lines only one of iovirt and QEMU microvm printed
# (timestamps, addresses and numbers masked) are listed, to compare the
# platforms the guests saw. A benchmark: it fails only when a boot fails (no
# marker, or no exit), never on a time. Nested TCG is slow and noisy: only
# ratios within one run mean much.
#
# Run by hand: lab/boot-linux OUT_DIR vmlinuz lab-vmm-compare.sh
# Environment: IOVIRT_LAB_BOOTS (boots per VMM, default 3), IOVIRT_LAB_VMMS
# (default "iovirt microvm pc q35"), IOVIRT_LAB_DMESG_ALL=1 (every boot dumps the
# kernel log: a console-heavy stress), IOVIRT_LAB_LOG (keep the serial log there),
# IOVIRT_LAB_KERNEL_DIR as for lab-boot-linux.sh. Variants for IOVIRT_LAB_VMMS:
# iovirt-hugetlb (guest RAM on 2 MiB hugetlbfs pages, 300 reserved in the lab),
# MACHINE-memfd (QEMU with guest RAM a shared memfd of 4 KiB pages, as iovirt's).
# IOVIRT_LAB_TRACE=1 (the lab kernel
# traces KVM's exits and injected exceptions; a failed boot prints the last
# ones), IOVIRT_LAB_IOVIRT_ARGS (more options for `iovirt run`), IOVIRT_LAB_CMDLINE_EXTRA
# (more words for the inner kernel's command line, e.g. earlyprintk=ttyS0: the
# decompressor then prints its errors).
set -u
iovirt=$1
boots=${IOVIRT_LAB_BOOTS:-3}
vmms=${IOVIRT_LAB_VMMS:-iovirt microvm pc q35}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vmm/lab-linux-common.sh
. "$here/lab-linux-common.sh"
# shellcheck source=lab/lib/verdict.sh
. "$here/../../lab/lib/verdict.sh"
[[ $boots =~ ^[1-9][0-9]?$ ]] || { echo "IOVIRT_LAB_BOOTS wants 1..99, not '$boots'"; exit 2; }
lab_linux_prepare bin dev proc sys
cat >"$inner/init" <<'INNER'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "INNER-MARKER init running, cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo)"
if /bin/busybox grep -q iovirt_dmesg /proc/cmdline; then
	/bin/busybox dmesg | /bin/busybox sed 's/^/INNER-DMESG /'
fi
/bin/busybox poweroff -f
INNER
chmod +x "$inner/init"
(cd "$inner" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$outer/inner.gz"
cp "$kdir/vmlinuz" "$outer/guest-kernel"
lab_linux_add_vmm "$iovirt"
lab_linux_add_qemu
cat >"$outer/init" <<OUTER
#!/bin/busybox sh
boots=$boots
vmms="$vmms"
dmesg_all=${IOVIRT_LAB_DMESG_ALL:-0}
trace=${IOVIRT_LAB_TRACE:-0}
iovirt_args="${IOVIRT_LAB_IOVIRT_ARGS:-}"
cmdline_extra="${IOVIRT_LAB_CMDLINE_EXTRA:-}"
OUTER
cat >>"$outer/init" <<'OUTER'
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t sysfs sys /sys
mount -t debugfs none /sys/kernel/debug
mkdir -p /tmp && mount -t tmpfs tmp /tmp
case " $vmms " in *" iovirt-hugetlb "*)
	mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages
	echo 300 >/proc/sys/vm/nr_hugepages ;;
esac
for m in irqbypass ccp kvm kvm-amd; do insmod /mods/$m.ko || echo "LAB: insmod $m failed"; done
cmdline="console=ttyS0 panic=-1 no_timer_check quiet${cmdline_extra:+ $cmdline_extra}"
t=/sys/kernel/debug/tracing
if [ "$trace" = 1 ]; then
	echo 4096 >$t/buffer_size_kb
	for e in kvm_exit kvm_inj_exception kvm_inj_virq kvm_msr kvm_cpuid; do
		echo 1 >$t/events/kvm/$e/enable || echo "LAB: no trace event kvm:$e"
	done
fi
# boot VMM DMESG PHASE: one boot (DMESG 1: the guest dumps its kernel log; PHASE
# warmup or timed); prints "BOOT vmm init-s exit-s exits status phase"
boot() {
	vmm=$1 phase=$3 extra=
	[ "$2" = 1 ] && extra=" iovirt_dmesg"
	case $vmm in
	iovirt*) set -- /bin/iovirt run --kernel /guest-kernel --initrd /inner.gz --mem 512M --cpus 2 \
		--cmdline "$cmdline$extra" $iovirt_args
		[ "$vmm" = iovirt-hugetlb ] && set -- "$@" --hugetlb ;;
	*) set -- /bin/qemu-system-x86_64 -M "$(echo "${vmm%-memfd}" | sed 's/^microvm$/microvm,rtc=on/')" \
		-accel kvm -cpu host -smp 2 -m 512M -nodefaults -no-user-config -L /qemu-fw \
		-display none -serial stdio -no-reboot -kernel /guest-kernel -initrd /inner.gz \
		-append "$cmdline$extra"
		[ "$vmm" = "${vmm%-memfd}" ] ||
			set -- "$@" -object memory-backend-memfd,id=ram,size=512M,share=on -machine memory-backend=ram ;;
	esac
	[ "$trace" = 1 ] && echo >$t/trace
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout 300 "$@" </dev/null 2>&1 | tr -d '\r' | while IFS= read -r line; do
		case $line in
		INNER-MARKER*) echo "MARK $(cut -d' ' -f1 /proc/uptime)" ;;
		INNER-DMESG*) echo "$line" >>/tmp/dmesg-$vmm ;;
		esac
		echo "$line" >>/tmp/console-$vmm
	done >/tmp/mark
	t2=$(cut -d' ' -f1 /proc/uptime)
	sleep 0.3
	e1=$(cat /tmp/exits)
	t1=$(sed -n 's/^MARK //p' /tmp/mark)
	if [ -n "$t1" ]; then
		echo "BOOT $vmm $(echo "$t1 - $t0" | bc) $(echo "$t2 - $t0" | bc) $e1 ok $phase"
	else
		echo "BOOT $vmm - $(echo "$t2 - $t0" | bc) $e1 FAIL $phase"
		tail -20 /tmp/console-$vmm | sed "s/^/LAB: $vmm: /"
		[ "$trace" = 1 ] && tail -120 $t/trace | sed "s/^/LAB-TRACE /"
	fi
}
# KVM's debugfs counters sum over the VMs alive: sampled every 0.1 s, the last
# sample of a boot is its exits (minus at most 0.1 s worth).
while :; do
	e=$(cat /sys/kernel/debug/kvm/exits)
	[ "$e" = 0 ] || echo "$e" >/tmp/exits
	sleep 0.1
done &
# Round 0 warms the caches and dumps each guest's kernel log; it is not timed.
i=0
while [ $i -le $boots ]; do
	for v in $vmms; do
		echo 0 >/tmp/exits
		boot $v $([ $i = 0 ] || [ "$dmesg_all" = 1 ] && echo 1 || echo 0) $([ $i = 0 ] && echo warmup || echo timed)
	done
	i=$((i + 1))
done
for v in $vmms; do
	sed "s/^INNER-DMESG /LAB-DMESG $v /" /tmp/dmesg-$v 2>/dev/null
done
echo "LAB-COMPARE done"
poweroff -f
OUTER
chmod +x "$outer/init"
(cd "$outer" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/outer.gz"

log=${IOVIRT_LAB_LOG:-$work/lab.log}
timeout $((300 + boots * 4 * 150)) qemu-system-x86_64 -M q35 -accel tcg -cpu EPYC,+svm,+npt -smp 2 \
	-m 3072 -display none -monitor none -serial stdio -no-reboot -kernel "$kdir/vmlinuz" \
	-initrd "$work/outer.gz" -append "console=ttyS0 panic=-1 quiet no_timer_check" </dev/null 2>&1 |
	grep -a --line-buffered -v "TCG doesn't support" | stdbuf -oL tr -d '\r' >"$log"
if lab_log_fault "$log"; then
	echo "LAB FAULT: the comparison did not run to its end"
	exit 1
fi
grep -a -E "^(BOOT|LAB)" "$log" | grep -v "^LAB-DMESG"
grep -q "LAB-COMPARE done" "$log" || { echo "FAIL: the comparison did not finish"; tail -30 "$log"; exit 1; }
# The inner kernel's log under iovirt against QEMU microvm's (or the first QEMU
# machine's): timestamps masked, and numbers and addresses, which differ anyway.
dmesg_of() {
	sed -n "s/^LAB-DMESG $1 \[ *[0-9.]*\] //p" "$log" | sed -e 's/0x[0-9a-f]*/X/g' \
		-e 's/[0-9][0-9.]*/N/g' | sort -u
}
peer=microvm
[[ " $vmms " == *" microvm "* ]] || peer=$(echo "$vmms" | tr ' ' '\n' | grep -v '^iovirt$' | head -1)
if [[ " $vmms " == *" iovirt "* ]] && [ -n "$peer" ]; then
	dmesg_of iovirt >"$work/dmesg-iovirt"
	dmesg_of "$peer" >"$work/dmesg-peer"
	echo "== kernel log lines only under iovirt ($(comm -23 "$work/dmesg-iovirt" "$work/dmesg-peer" | wc -l)):"
	comm -23 "$work/dmesg-iovirt" "$work/dmesg-peer"
	echo "== kernel log lines only under QEMU $peer ($(comm -13 "$work/dmesg-iovirt" "$work/dmesg-peer" | wc -l)):"
	comm -13 "$work/dmesg-iovirt" "$work/dmesg-peer"
fi
# The table: per VMM, median (min-max) of time to init, time to exit, exits per boot.
awk '
	/^BOOT / && $6 == "ok" && $7 == "timed" { n[$2]++; init[$2, n[$2]] = $3; end[$2, n[$2]] = $4; ex[$2, n[$2]] = $5 }
	/^BOOT / && $6 != "ok" { failed++ }
	function med(a, v, k,   i, j, t, x) {
		for (i = 1; i <= k; i++) x[i] = a[v, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		return sprintf("%.1f (%.1f-%.1f)", (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2, x[1], x[k])
	}
	function m(a, v, k,   i, j, t, x) {
		for (i = 1; i <= k; i++) x[i] = a[v, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		return (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2
	}
	END {
		printf "%-8s %5s  %-22s %-22s %s\n", "VMM", "boots", "to init, s", "to exit, s", "KVM exits/boot"
		for (v in n) printf "%-8s %5d  %-22s %-22s %s\n", v, n[v], med(init, v, n[v]), med(end, v, n[v]), med(ex, v, n[v])
		if ("iovirt" in n) for (v in n) if (v != "iovirt")
			printf "iovirt/%s: time to init %.2f, exits %.2f\n", v, m(init, "iovirt", n["iovirt"]) / m(init, v, n[v]), m(ex, "iovirt", n["iovirt"]) / m(ex, v, n[v])
		if (failed) { print failed " boot(s) failed"; exit 1 }
	}' "$log"
