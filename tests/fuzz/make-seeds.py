#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Usage: make-seeds.py [TARGET...]  (all targets without arguments)

Each seed is a well-formed input in the target's format (see the comment at the
top of tests/fuzz/fuzz-<target>.c), made from the cases the unit tests drive:
legal chains and rings, real register sequences, the fixture sysfs trees. The
seeds are committed; rerun this after changing an input format."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


NEXT, WRITE, INDIRECT = 1, 2, 4


# ---- virtqueue -------------------------------------------------------------
VQ_RAM = 0x10000


def vq_input(size_log2, event_idx, iov_max, split, ram, desc_at, avail_at, used_at):
    hdr = struct.pack("<BBHHHHH", size_log2, event_idx, iov_max, desc_at // 16,
                      avail_at // 2, used_at // 4, split)
    return hdr + bytes(ram)


def vq_ring(chains, size=8, event_idx=0):
    """chains: list of (head, [descriptors at index head..]) in the main table,
    plus indirect tables placed at 0x600."""
    ram = bytearray(0x800)
    table = {}
    for head, descs in chains:
        for i, d in enumerate(descs):
            table[head + i] = d
    for i, d in table.items():
        ram[16 * i:16 * i + 16] = d
    avail = 0x100
    heads = [h for h, _ in chains]
    struct.pack_into("<HH", ram, avail, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, avail + 4 + 2 * i, h)
    return ram, avail


def seeds_virtqueue():
    g = VQ_RAM
    ram, avail = vq_ring([(0, [desc(g + 0x400, 16, NEXT, 1), desc(g + 0x500, 64, WRITE)]),
                          (2, [desc(g + 0x600, 32, INDIRECT)])])
    ram[0x600:0x620] = desc(g + 0x410, 8, NEXT, 1) + desc(g + 0x520, 32, WRITE)
    write("virtqueue", "chain-and-indirect", vq_input(3, 0, 8, 0, ram, 0, avail, 0x200))
    write("virtqueue", "event-idx-split", vq_input(3, 1, 8, 0x700, ram, 0, avail, 0x200))
    ram, avail = vq_ring([(i, [desc(g + 0x400 + 16 * i, 16, WRITE)]) for i in range(8)])
    write("virtqueue", "eight-single", vq_input(3, 0, 1, 0, ram, 0, avail, 0x200))


# ---- pci -------------------------------------------------------------------
def pci_op(where, write, length, addr, val=0):
    op = (length - 1) | (8 if write else 0) | (where << 4)
    b = struct.pack("<BI", op, addr)
    return b + struct.pack("<Q", val) if write else b


def pci_rd(reg, n=4):
    return pci_op(1, False, n, reg)


def pci_wr(reg, v, n=4):
    return pci_op(1, True, n, reg, v)


def seeds_pci():
    # What a driver does at probe: identity, capability walk, BAR sizing.
    probe = pci_rd(0) + pci_rd(8) + pci_rd(0x34, 1)
    for off in (0x40, 0x4c, 0x60, 0x70, 0x100):
        probe += pci_rd(off) + pci_rd(off + 2, 2) + pci_rd(off + 4) + pci_rd(off + 8)
    for bar in range(6):
        probe += pci_wr(0x10 + 4 * bar, 0xffffffff) + pci_rd(0x10 + 4 * bar)
    write("pci", "probe", probe)
    # Decode on, MSI-X table entries written through BAR2, enable, mask, PBA.
    msix = pci_wr(0x18, 0xc0100000) + pci_wr(0x1c, 0) + pci_wr(4, 0x0006, 2)
    for v in range(8):
        bar2 = 2 << 24
        msix += pci_op(3, True, 4, bar2 + 16 * v, 0xfee00000) + \
            pci_op(3, True, 4, bar2 + 16 * v + 8, 0x20 + v) + \
            pci_op(3, True, 4, bar2 + 16 * v + 12, v & 1)
    for off in (0x40, 0x4c, 0x60, 0x70):
        msix += pci_wr(off + 2, 0xc000, 2) + pci_wr(off + 2, 0x8000, 2) + pci_wr(off + 2, 1, 2)
    msix += pci_op(3, False, 8, (2 << 24) + 0x2000) + pci_op(3, False, 4, (2 << 24) + 0x10)
    write("pci", "msix", msix)
    # The legacy ports: address then data, bytes and words.
    cf8 = pci_op(2, True, 4, 0, 0x80000000 | (3 << 11)) + pci_op(2, False, 4, 4) + \
        pci_op(2, True, 4, 0, 0x80000004 | (3 << 11)) + pci_op(2, True, 2, 4, 0x7) + \
        pci_op(2, False, 1, 6) + bytes([0xff, 0, 0, 0, 0]) + pci_rd(4)
    write("pci", "cf8-and-reset", cf8)


TARGETS = {
    "virtqueue": seeds_virtqueue,
    "pci": seeds_pci,
}

if __name__ == "__main__":
    for t in sys.argv[1:] or TARGETS:
        TARGETS[t]()
