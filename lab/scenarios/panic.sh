# Crashes the lab kernel (sysrq c): the harness must report the panic even though
# nothing else is wrong.
echo "IOVIRT-LAB: panic: crashing the kernel"
echo 1 >/proc/sys/kernel/sysrq
echo c >/proc/sysrq-trigger
