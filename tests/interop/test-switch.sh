#!/usr/bin/env bash
# iovirt switch against DPDK's testpmd as vhost-user front-ends (virtio-user).
# usage: test-switch.sh IOVIRT HUGEPAGES-SCRIPT SCENARIO
#   pair     two testpmds: A sends one burst (--tx-first) and counts what comes
#            back, B swaps MACs and returns it; every count at both ends matches
#            the switch's; --stats 1 and SIGUSR1 print the counters
#   stream   A transmits for 3 s, B receives: A's TX = the switch's rx on A =
#            flooded on A = tx + drops on B, and B's RX = the switch's tx on B
#   reflect  one testpmd; the switch returns each frame with its MACs swapped
#            (checked frame by frame in testpmd's verbose output)
#   uplink   A on a vhost-user port, U behind the ethdev uplink (DPDK's net_vhost
#            PMD, which U's virtio-user joins): U sends one burst, A swaps
#            MACs and returns it; counts match on both ports of the switch
#   sigterm  SIGTERM with two front-ends connected and traffic flowing: exit 0,
#            sockets removed, front-ends still alive
#   client   the switch as vhost-user client of two testpmds that listen
#            (virtio-user server=1): A transmits, B receives, counts match
#   reconnect  SIGKILL the sending front-end mid-traffic: the switch stays up,
#            the port goes down; a new front-end on the same socket is served
#   second   a second front-end on a port already served is refused; the first
#            keeps flowing while it comes and after it goes
#   gen      --mode gen: two receiving testpmds each get exactly --gen count frames,
#            none dropped though the generator outruns them (lossless back-pressure)
#   errors   clear failures: a missing socket directory, a non-socket in the
#            way, a live socket, a stale socket (removed), bad options, and as
#            user nobody no permission for the socket or the hugepage files
# Skips (77) without DPDK in this build, without dpdk-testpmd, or without
# hugepages, saying which.
set -uo pipefail
iovirt=$1 hugepages=$2 scenario=$3
tmp=$(mktemp -d /tmp/iovirt-switch-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
	rm -f /dev/hugepages/iovirt-sw-t$$-* 2>/dev/null
	rm -rf /var/run/dpdk/iovirt-sw-t$$-* 2>/dev/null
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; dump; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
dump() {
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $f (last 25 lines)"
		tail -25 "$f"
	done
}

# Wait up to $3 seconds for a line matching $2 in file $1.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to $2 seconds for process $1 to end; its status in $waited.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			waited=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# The switch's last counter for port $1, field $2 (rx, tx, drops, flooded).
swstat() {
	grep "^stats: port=$1 " "$tmp/switch.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# testpmd's accumulated RX-packets or TX-packets ($2) in file $1 (the last block).
tpstat() {
	awk -v key="$2-packets:" '/Accumulated forward statistics/ { acc = 1; next }
		acc && $0 ~ key { for (i = 1; i < NF; i++) if ($i == key) v = $(i + 1) }
		acc && /\+\+\+\+\+\+\+\+\+\+$/ && !/Accumulated/ { acc = 0 }
		END { print v }' "$1"
}

# Waits until testpmd $1's periodic RX count (--stats-period 1) has not moved for
# 2 s, at most 30 s: its receive ring is drained once its sender stopped (sleeping a
# fixed time is not enough on a loaded machine).
drained() {
	local f=$tmp/$1.out last=-1 cur i
	for ((i = 0; i < 15; i++)); do
		sleep 2
		cur=$(grep -a -o 'RX-packets: *[0-9]*' "$f" | tail -1 | grep -o '[0-9]*$')
		[ "$cur" = "$last" ] && return 0
		last=$cur
	done
	fail "testpmd $1 was still receiving 30 s after its sender stopped"
}

# A txonly testpmd is stopped with its transmit ring (net_virtio_user's 256
# entries) full: it counted those frames as sent, and the switch, sharing 2 cores
# with two busy testpmds, may not have taken them before the ring went away.
# So the switch took what was sent less at most one ring.
expect_taken() { # name taken sent
	local left=$(($3 - $2))
	{ [ "$left" -ge 0 ] && [ "$left" -le 256 ]; } ||
		fail "$1: $2 of $3 frames sent (not within one ring)"
	echo "ok: $1: $2 of $3 frames sent ($left were in the ring at the stop)"
}

expect_eq() { # name got want
	[ "$2" = "$3" ] || fail "$1: $2, expected $3"
	echo "ok: $1 = $2"
}

check_skips() {
	local out rc free
	out=$("$iovirt" switch --help 2>&1)
	rc=$?
	[ $rc -eq 0 ] || fail "iovirt switch --help: exit $rc"
	if grep -q "built without DPDK" <<<"$out"; then
		skip "this iovirt was built without DPDK (libdpdk-dev not found at setup)"
	fi
	command -v dpdk-testpmd >/dev/null || skip "dpdk-testpmd not installed (Debian package dpdk-dev)"
	out=$("$hugepages" 512 2>&1) || skip "no hugepages: $out"
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "$free" -ge 200 ] || skip "only $free free 2 MiB hugepages (the test needs 200; others hold the rest)"
}

start_switch() { # extra args
	"$iovirt" switch --mbufs 4095 "$@" > "$tmp/switch.out" 2> "$tmp/switch.err" &
	swpid=$!
	pids+=("$swpid")
	wait_for "$tmp/switch.out" '^switch: ready' 30 || fail "the switch did not start"
}

# start_testpmd NAME SOCKET MAC[,DEVARGS] ARGS...: a virtio-user front-end, non-interactive
# (extra virtio-user devargs such as server=1 ride after the MAC).
start_testpmd() {
	local name=$1 sock=$2 mac=$3
	shift 3
	dpdk-testpmd --lcores '0@(0-1),1@(0-1)' --no-pci --in-memory --single-file-segments -m 128 \
		--file-prefix "iovirt-sw-t$$-$name" \
		--vdev "net_virtio_user0,path=$sock,mac=$mac" -- --no-lsc-interrupt --total-num-mbufs=16384 "$@" \
		> "$tmp/$name.out" 2> "$tmp/$name.err" < /dev/null &
	eval "${name}pid=$!"
	pids+=("$!")
}

connected() { # port: wait until the switch logs the front-end on that port
	wait_for "$tmp/switch.err" "port $1 .*: front-end connected" 30 ||
		fail "no front-end connected on port $1"
}

stop_testpmd() { # name
	local pid
	eval "pid=\$${1}pid"
	kill -INT "$pid" 2>/dev/null
	wait_exit "$pid" 20 || fail "testpmd $1 did not stop on SIGINT"
	grep -q "Accumulated forward statistics" "$tmp/$1.out" || fail "testpmd $1 printed no statistics"
}

stop_switch() {
	kill -TERM "$swpid"
	wait_exit "$swpid" 30 || fail "the switch did not stop on SIGTERM"
	expect_eq "switch exit status after SIGTERM" "$waited" 0
	grep -q '^switch: stopped' "$tmp/switch.out" || fail "no 'switch: stopped' line"
	for s in "$tmp"/*.sock; do
		[ -e "$s" ] && fail "socket $s left behind"
	done
	echo "ok: sockets removed"
}

scenario_pair() {
	start_switch --port "$tmp/a.sock" --port "$tmp/b.sock" --stats 1
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=macswap --stats-period 1
	connected 1
	sleep 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=rxonly --tx-first --stats-period 1
	connected 0
	sleep 3
	kill -USR1 "$swpid"
	wait_for "$tmp/switch.out" '^stats: mac ' 10 || fail "no counters on SIGUSR1"
	echo "ok: SIGUSR1 printed the counters"
	stop_testpmd A
	stop_testpmd B
	stop_switch
	local atx arx brx btx blocks
	blocks=$(grep -c '^stats: mac ' "$tmp/switch.out")
	[ "$blocks" -ge 4 ] || fail "$blocks counter blocks: expected one a second (--stats 1), SIGUSR1's and the last"
	echo "ok: $blocks counter blocks (--stats 1, SIGUSR1, exit)"
	atx=$(tpstat "$tmp/A.out" TX) arx=$(tpstat "$tmp/A.out" RX)
	brx=$(tpstat "$tmp/B.out" RX) btx=$(tpstat "$tmp/B.out" TX)
	expect_eq "A sent (testpmd)" "$atx" 32
	expect_eq "switch rx on A" "$(swstat 0 rx)" "$atx"
	expect_eq "switch flooded from A (B's MAC unknown)" "$(swstat 0 flooded)" "$atx"
	expect_eq "switch tx on B" "$(swstat 1 tx)" "$atx"
	expect_eq "B received (testpmd)" "$brx" "$(swstat 1 tx)"
	expect_eq "B sent back (testpmd)" "$btx" "$brx"
	expect_eq "switch rx on B" "$(swstat 1 rx)" "$btx"
	expect_eq "switch flooded from B (A's MAC learned)" "$(swstat 1 flooded)" 0
	expect_eq "switch tx on A" "$(swstat 0 tx)" "$btx"
	expect_eq "A received (testpmd)" "$arx" "$(swstat 0 tx)"
	expect_eq "drops on A" "$(swstat 0 drops)" 0
	expect_eq "drops on B" "$(swstat 1 drops)" 0
}

scenario_stream() {
	start_switch --port "$tmp/a.sock" --port "$tmp/b.sock"
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=rxonly --stats-period 1
	connected 1
	sleep 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=txonly --stats-period 1
	connected 0
	sleep 3
	stop_testpmd A
	drained B
	stop_switch
	stop_testpmd B
	local atx brx rx
	atx=$(tpstat "$tmp/A.out" TX) brx=$(tpstat "$tmp/B.out" RX) rx=$(swstat 0 rx)
	[ "${atx:-0}" -gt 1000 ] || fail "A sent only ${atx:-0} frames"
	expect_taken "switch rx on A" "$rx" "$atx"
	expect_eq "switch flooded from A" "$(swstat 0 flooded)" "$rx"
	expect_eq "switch tx + drops on B" "$(($(swstat 1 tx) + $(swstat 1 drops)))" "$rx"
	expect_eq "B received (testpmd)" "$brx" "$(swstat 1 tx)"
	echo "info: $atx frames, $(swstat 1 drops) dropped at B's full ring"
}

scenario_reflect() {
	start_switch --mode reflect --port "$tmp/a.sock"
	# Interactive, to see each frame: one burst out, then what comes back.
	mkfifo "$tmp/A.in"
	dpdk-testpmd --lcores '0@(0-1),1@(0-1)' --no-pci --in-memory --single-file-segments -m 128 \
		--file-prefix "iovirt-sw-t$$-A" \
		--vdev "net_virtio_user0,path=$tmp/a.sock,mac=02:00:00:00:00:0a" -- -i --total-num-mbufs=16384 \
		--no-lsc-interrupt --forward-mode=rxonly --eth-peer=0,02:00:00:00:00:0c \
		< "$tmp/A.in" > "$tmp/A.out" 2> "$tmp/A.err" &
	Apid=$!
	pids+=("$Apid")
	exec 9> "$tmp/A.in"
	connected 0
	echo "set verbose 1" >&9
	echo "start tx_first" >&9
	sleep 3
	echo "stop" >&9
	echo "quit" >&9
	exec 9>&-
	wait_exit "$Apid" 20 || fail "testpmd did not quit"
	stop_switch
	local atx arx good bad
	atx=$(tpstat "$tmp/A.out" TX) arx=$(tpstat "$tmp/A.out" RX)
	expect_eq "A sent (testpmd)" "$atx" 32
	expect_eq "switch rx" "$(swstat 0 rx)" "$atx"
	expect_eq "switch tx (reflected)" "$(swstat 0 tx)" "$atx"
	expect_eq "A received (testpmd)" "$arx" "$atx"
	good=$(grep -ci 'src=02:00:00:00:00:0C - dst=02:00:00:00:00:0A' "$tmp/A.out")
	bad=$(grep -i 'src=..:..:..:..:..:.. - dst=' "$tmp/A.out" | grep -civ 'src=02:00:00:00:00:0C - dst=02:00:00:00:00:0A')
	expect_eq "frames back with MACs swapped" "$good" "$atx"
	expect_eq "frames back unswapped" "$bad" 0
}

scenario_uplink() {
	start_switch --port "$tmp/a.sock" --uplink "net_vhost0,iface=$tmp/up.sock"
	grep -q '^switch: ready mode=switch ports=2' "$tmp/switch.out" ||
		fail "the switch has no second port for the uplink"
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=macswap --stats-period 1
	connected 0
	sleep 1
	start_testpmd U "$tmp/up.sock" 02:00:00:00:00:0e --forward-mode=rxonly --tx-first --stats-period 1
	sleep 4
	stop_testpmd U
	stop_testpmd A
	stop_switch
	local utx urx atx
	utx=$(tpstat "$tmp/U.out" TX) urx=$(tpstat "$tmp/U.out" RX) atx=$(tpstat "$tmp/A.out" TX)
	expect_eq "U sent (testpmd)" "$utx" 32
	expect_eq "switch rx on the uplink" "$(swstat 1 rx)" "$utx"
	expect_eq "switch flooded from the uplink" "$(swstat 1 flooded)" "$utx"
	expect_eq "switch tx on A" "$(swstat 0 tx)" "$utx"
	expect_eq "A received (testpmd)" "$(tpstat "$tmp/A.out" RX)" "$utx"
	expect_eq "switch rx on A" "$(swstat 0 rx)" "$atx"
	expect_eq "switch tx on the uplink (U's MAC learned)" "$(swstat 1 tx)" "$atx"
	expect_eq "U received (testpmd)" "$urx" "$atx"
	expect_eq "A sent back" "$atx" 32
}

scenario_sigterm() {
	start_switch --port "$tmp/a.sock" --port "$tmp/b.sock"
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=rxonly --stats-period 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=txonly --stats-period 1
	connected 1
	connected 0
	sleep 2
	stop_switch
	[ "$(swstat 0 rx)" -gt 0 ] || fail "no traffic was flowing when SIGTERM came"
	if ! kill -0 "$Apid" || ! kill -0 "$Bpid"; then
		fail "a front-end died with the switch"
	fi
	echo "ok: front-ends alive after the switch stopped"
	grep -qi "sanitizer" "$tmp/switch.err" && fail "sanitizer report"
	stop_testpmd A
	stop_testpmd B
}

scenario_client() {
	# B listens and the switch connects to it before A exists. With both connected at
	# once B twice ended one ring short of the switch's tx: likely testpmd (server)
	# setting its rings up again as its back-end connects, dropping what was queued.
	# The switch connects to A when A listens (lib/vhost retries).
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b,server=1 --forward-mode=rxonly --stats-period 1
	local i
	for ((i = 0; i < 300; i++)); do
		[ -S "$tmp/b.sock" ] && break
		sleep 0.1
	done
	[ $i -lt 300 ] || fail "testpmd B did not listen"
	start_switch --port "$tmp/a.sock,client" --port "$tmp/b.sock,client"
	connected 1
	sleep 2
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a,server=1 --forward-mode=txonly --stats-period 1
	connected 0
	sleep 3
	stop_testpmd A
	drained B
	kill -TERM "$swpid"
	wait_exit "$swpid" 30 || fail "the switch did not stop on SIGTERM"
	expect_eq "switch exit status after SIGTERM" "$waited" 0
	stop_testpmd B
	local rx
	rx=$(swstat 0 rx)
	[ "${rx:-0}" -gt 1000 ] || fail "the switch took only ${rx:-0} frames from A"
	expect_eq "switch flooded from A" "$(swstat 0 flooded)" "$rx"
	expect_eq "switch tx + drops on B" "$(($(swstat 1 tx) + $(swstat 1 drops)))" "$rx"
	expect_eq "B received (testpmd)" "$(tpstat "$tmp/B.out" RX)" "$(swstat 1 tx)"
}

scenario_reconnect() {
	start_switch --port "$tmp/a.sock" --port "$tmp/b.sock"
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=rxonly --stats-period 1
	connected 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=txonly --stats-period 1
	connected 0
	sleep 2
	kill -KILL "$Apid"
	wait "$Apid" 2>/dev/null
	wait_for "$tmp/switch.err" "port 0 .*: front-end gone" 20 || fail "port 0 not down after SIGKILL"
	kill -0 "$swpid" || fail "the switch died with its front-end"
	echo "ok: the switch outlived a killed front-end"
	sleep 1
	kill -USR1 "$swpid"
	wait_for "$tmp/switch.out" '^stats: port=0 .*state=down' 10 || fail "port 0 not reported down"
	local rx1 i
	rx1=$(swstat 0 rx)
	mv "$tmp/A.out" "$tmp/A1.out.old"
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=txonly --stats-period 1
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c 'port 0 .*: front-end connected' "$tmp/switch.err")" -eq 2 ] && break
		sleep 0.1
	done
	[ $i -lt 300 ] || fail "port 0 did not connect a second time"
	echo "ok: a new front-end connected on the same socket"
	sleep 2
	stop_testpmd A
	drained B
	stop_switch
	stop_testpmd B
	local atx
	atx=$(tpstat "$tmp/A.out" TX)
	[ "${atx:-0}" -gt 1000 ] || fail "the second front-end sent only ${atx:-0} frames"
	expect_taken "switch rx on A after the reconnect" "$(($(swstat 0 rx) - rx1))" "$atx"
	expect_eq "B received (testpmd)" "$(tpstat "$tmp/B.out" RX)" "$(swstat 1 tx)"
	expect_eq "switch tx + drops on B" "$(($(swstat 1 tx) + $(swstat 1 drops)))" "$(swstat 0 rx)"
}

scenario_second() {
	start_switch --port "$tmp/a.sock" --port "$tmp/b.sock"
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=rxonly --stats-period 1
	connected 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=txonly --stats-period 1
	connected 0
	start_testpmd C "$tmp/a.sock" 02:00:00:00:00:0c --forward-mode=txonly --stats-period 1
	wait_for "$tmp/switch.err" "port 0 .*: a second front-end .* refused" 30 ||
		fail "the second front-end on port 0 was not refused"
	echo "ok: a second front-end on a served port is refused"
	sleep 1
	stop_testpmd C
	sleep 1
	kill -USR1 "$swpid"
	wait_for "$tmp/switch.out" '^stats: mac ' 10 || fail "no counters on SIGUSR1"
	local rx1
	rx1=$(swstat 0 rx)
	sleep 2
	kill -USR1 "$swpid"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^stats: mac ' "$tmp/switch.out")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(swstat 0 rx)" -gt "$rx1" ] || fail "A's frames stopped after the second front-end left"
	echo "ok: A still flows after the second front-end left ($rx1 -> $(swstat 0 rx))"
	stop_testpmd A
	drained B
	stop_switch
	stop_testpmd B
	expect_taken "switch rx on A" "$(swstat 0 rx)" "$(tpstat "$tmp/A.out" TX)"
	expect_eq "B received (testpmd)" "$(tpstat "$tmp/B.out" RX)" "$(swstat 1 tx)"
}

# A failure must exit 1 with a message naming $2; a usage error exits 2.
expect_fail() { # want-status pattern args...
	local want=$1 pat=$2 out rc
	shift 2
	out=$($iovirt switch "$@" 2>&1 </dev/null)
	rc=$?
	[ $rc -eq "$want" ] || fail "iovirt switch $*: exit $rc, expected $want: $out"
	grep -q -- "$pat" <<<"$out" || fail "iovirt switch $*: no '$pat' in: $out"
	echo "ok: exit $rc: $(head -1 <<<"$out")"
}

scenario_gen() {
	local n=100000 name port
	# --no-flush-rx: testpmd would discard what the generator queued before it started
	start_switch --mode gen --gen size=128,count=$n --port "$tmp/a.sock" --port "$tmp/b.sock" --stats 1
	start_testpmd A "$tmp/a.sock" 02:00:00:00:00:0a --forward-mode=rxonly --no-flush-rx --stats-period 1
	connected 0
	start_testpmd B "$tmp/b.sock" 02:00:00:00:00:0b --forward-mode=rxonly --no-flush-rx --stats-period 1
	connected 1
	for ((i = 0; i < 600; i++)); do
		[ "$(swstat 0 tx)" = $n ] && [ "$(swstat 1 tx)" = $n ] && break
		sleep 0.1
	done
	drained A
	drained B
	stop_testpmd A
	stop_testpmd B
	stop_switch
	for port in 0 1; do
		name=A; [ $port = 1 ] && name=B
		expect_eq "switch tx on $name" "$(swstat $port tx)" $n
		expect_eq "switch drops on $name" "$(swstat $port drops)" 0
		expect_eq "$name received (testpmd)" "$(tpstat "$tmp/$name.out" RX)" $n
	done
}

scenario_errors() {
	expect_fail 2 "nothing to switch"
	expect_fail 2 "expected PATH" --port ",client"
	expect_fail 2 "given twice" --port "$tmp/a.sock" --port "$tmp/a.sock,server"
	expect_fail 2 "expected switch, reflect, sink or gen" --port "$tmp/a.sock" --mode hub
	expect_fail 2 "--mode gen and --gen go together" --port "$tmp/a.sock" --mode gen
	expect_fail 2 "expected size=60..1514" --port "$tmp/a.sock" --mode gen --gen size=59
	expect_fail 2 "CPU list" --port "$tmp/a.sock" --cores "1) --vdev x ("
	expect_fail 1 "directory does not exist" --port "$tmp/no/a.sock"
	touch "$tmp/file"
	expect_fail 1 "not a socket is in the way" --port "$tmp/file"
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' "$tmp/live.sock" &
	local listener=$!
	pids+=("$listener")
	for ((i = 0; i < 50; i++)); do [ -S "$tmp/live.sock" ] && break; sleep 0.1; done
	expect_fail 1 "another back-end listens" --port "$tmp/live.sock"
	kill "$listener"
	rm -f "$tmp/live.sock"
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		chmod 711 "$tmp"
		mkdir -m 555 "$tmp/ro"
		mkdir -m 1777 "$tmp/open"
		iovirt_real=$iovirt
		iovirt="setpriv --reuid=65534 --regid=65534 --clear-groups $iovirt_real"
		expect_fail 1 "no permission to create a socket" --port "$tmp/ro/a.sock"
		if [ -n "$(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | xargs -r -n1 sh -c \
				'setpriv --reuid=65534 --regid=65534 --clear-groups test -w "$0" && echo w')" ]; then
			echo "info: nobody may write a hugetlbfs mount here: no hugepage permission check"
		else
			expect_fail 1 "no permission to create hugepage files" --port "$tmp/open/a.sock"
		fi
		iovirt=$iovirt_real
	else
		echo "info: not root or no setpriv: permission messages not checked"
	fi
	expect_fail 1 "--uplink net_nosuch0: DPDK found no such device" --port "$tmp/u.sock" \
		--uplink net_nosuch0 --mbufs 1023
	[ -e "$tmp/u.sock" ] && fail "a failed start left its socket"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
	[ -S "$tmp/stale.sock" ] || fail "no stale socket made"
	start_switch --port "$tmp/stale.sock"
	grep -q "removed a stale socket" "$tmp/switch.err" || fail "the stale socket was not reported"
	echo "ok: a stale socket is replaced"
	stop_switch
}

check_skips
"scenario_$scenario"
echo "PASS: $scenario"
