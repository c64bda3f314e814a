#!/bin/sh
# Copies QEMU and the firmware it loads for `-M pc -kernel MULTIBOOT-IMAGE` into
# OUT-DIR (OUT-DIR/qemu-system-x86_64 and OUT-DIR/qemu-fw/, for -L), so that the
# vmm tier's runner carries them into the lab with the binary's libraries.
# usage: qemu-stage.sh QEMU OUT-BINARY OUT-FIRMWARE-DIR
set -eu
qemu=$1 bin=$2 fw=$3
cp -L "$qemu" "$bin"
rm -rf "$fw"
mkdir -p "$fw"
cp -L /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/multiboot_dma.bin "$fw/"
