#!/usr/bin/env bash
# The DSDT through ACPICA, the AML interpreter Linux uses: iasl -d must
# disassemble it without a warning or an unresolved name, the result must
# compile again without an error or a warning (iasl -d alone prints what it
# cannot parse as bare terms, without failing), and the host bridge's _OSC
# must read back as the method acpi.c describes.
# usage: test-acpi-iasl.sh TEST-ACPI   (the test-acpi binary, for --dump-dsdt)
set -uo pipefail
test_acpi=$1
if ! command -v iasl >/dev/null; then
	echo "SKIP: iasl not installed (Debian package acpica-tools, see scripts/install-deps)"
	exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$test_acpi" --dump-dsdt "$dir/dsdt.aml" || fail "test-acpi --dump-dsdt"
if ! (cd "$dir" && iasl -d dsdt.aml) >"$dir/disasm.log" 2>&1; then
	cat "$dir/disasm.log"; fail "iasl -d failed"
fi
grep -q '^Disassembly completed' "$dir/disasm.log" || { cat "$dir/disasm.log"; fail "iasl -d did not complete"; }
if grep -Ei 'error|warning|exception' "$dir/disasm.log"; then
	fail "iasl -d reported the above"
fi
if grep -n 'External (' "$dir/dsdt.dsl"; then
	fail "the disassembly refers to names the table does not define (above)"
fi
(cd "$dir" && iasl -p recompiled dsdt.dsl) >"$dir/compile.log" 2>&1 || { cat "$dir/compile.log"; fail "the disassembly does not compile"; }
grep -q 'Compilation successful. 0 Errors, 0 Warnings' "$dir/compile.log" ||
	{ cat "$dir/compile.log"; fail "the disassembly compiles with errors or warnings"; }

# The method, from its header to its closing brace, indentation stripped.
sed -n '/Method (_OSC, 4, NotSerialized)/,/^            }$/p' "$dir/dsdt.dsl" |
	sed -e 's/^ *//' -e '/^$/d' >"$dir/osc.txt"
cat >"$dir/osc.expected" <<'EOF'
Method (_OSC, 4, NotSerialized)  // _OSC: Operating System Capabilities
{
CreateDWordField (Arg3, Zero, CDW1)
If ((Arg0 == ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766") /* PCI Host Bridge Device */))
{
CreateDWordField (Arg3, 0x08, CDW3)
Local0 = (CDW3 & 0x1C)
If ((Arg1 != One))
{
CDW1 |= 0x08
}
If ((CDW3 != Local0))
{
CDW1 |= 0x10
}
CDW3 = Local0
}
Else
{
CDW1 |= 0x04
}
Return (Arg3)
}
EOF
diff -u "$dir/osc.expected" "$dir/osc.txt" || fail "\\_SB.PCI0._OSC differs from the expected method (diff above)"
# Devices sit at one depth under Scope (\_SB): the last one opened holds the method.
owner=$(awk '/^        Device \(/ { dev = $2 } /Method \(_OSC/ { print dev }' "$dir/dsdt.dsl")
[ "$owner" = "(PCI0)" ] || fail "_OSC found in device(s) '$owner', expected only (PCI0)"
echo "ok: iasl disassembles the DSDT and compiles it again cleanly; \\_SB.PCI0._OSC as expected"
