#!/usr/bin/env python3
"""Write an assembly file that embeds a guest image (argv[1]) as bench_image[] (into argv[2]).

The output names the image's path; it is rewritten whenever the image is
rebuilt, so the object that includes it is rebuilt too.
"""
import os
import sys

image, out = os.path.abspath(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write('\t.section .rodata\n\t.balign 16\n\t.globl bench_image\nbench_image:\n'
            '\t.incbin "%s"\n\t.globl bench_image_end\nbench_image_end:\n'
            '\t.section .note.GNU-stack,"",@progbits\n' % image)
