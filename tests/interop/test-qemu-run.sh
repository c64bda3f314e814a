#!/usr/bin/env bash
# The interop runner's verdicts, against a fake QEMU that prints a scripted
# console: it must pass only the good run and fail on an assertion, ok=0, a
# missing done line, a wrong exit status, a missing --expect line, a
# malformed or hostile line, and a hang; and skip (77) without QEMU.
set -uo pipefail
runner=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fake=$tmp/fake-qemu
cat > "$fake" <<'FAKE'
#!/usr/bin/env bash
case $FAKE_SCENARIO in
good)      printf 'IOVIRT-GUEST: boot link=com1\r\nIOVIRT-GUEST: frames len=60 ok=1\r\nIOVIRT-GUEST: done status=0\r\n'; exit 1 ;;
assert)    printf 'IOVIRT-GUEST: frames len=60 ok=1\nIOVIRT-GUEST: assert line=3 msg=x.c:3: a == b: 1 != 2\nIOVIRT-GUEST: done status=0\n'; exit 1 ;;
notok)     printf 'IOVIRT-GUEST: frames len=60 ok=0\nIOVIRT-GUEST: done status=0\n'; exit 1 ;;
nodone)    printf 'IOVIRT-GUEST: frames len=60 ok=1\n'; exit 1 ;;
status)    printf 'IOVIRT-GUEST: frames len=60 ok=1\nIOVIRT-GUEST: done status=0\n'; exit 0 ;;
noexpect)  printf 'IOVIRT-GUEST: done status=0\n'; exit 1 ;;
malformed) printf 'IOVIRT-GUEST: frames len=60 ok=1\nIOVIRT-GUEST: sync stage=x\nIOVIRT-GUEST: done status=0\n'; exit 1 ;;
hostile)   head -c 300000 /dev/urandom; printf '\nIOVIRT-GUEST: frames len=60 ok=1\nIOVIRT-GUEST: sync\nIOVIRT-GUEST: done status=1\n'; exit 1 ;;
hang)      printf 'IOVIRT-GUEST: frames len=60 ok=1\n'; exec sleep 30 ;;
esac
FAKE
chmod +x "$fake"
fails=0
check() {
	local want=$1 scenario=$2 got
	shift 2
	FAKE_SCENARIO=$scenario "$runner" --qemu "$fake" --timeout 3 "$@" image.elf > "$tmp/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: scenario $scenario: exit $got, want $want"
		sed 's/^/    /' "$tmp/out" | tail -5
		fails=$((fails + 1))
	else
		echo "ok: scenario $scenario: exit $got"
	fi
}
check 0 good --expect 'frames len=60 .*ok=1'
check 1 assert
check 1 notok
check 1 nodone
check 1 status
check 1 noexpect --expect 'frames len=60'
check 1 malformed
check 1 hostile
check 1 hang
check 77 good --qemu "$tmp/no-such-qemu"
exit $((fails > 0))
