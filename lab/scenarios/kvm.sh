# KVM in the lab: /dev/kvm exists (nested SVM, emulated by TCG) and a minimal vCPU runs.
. /lab/lib.sh

lab_check "/dev/kvm is a character device" [ -c /dev/kvm ]
lab_check "the kvm_amd module is loaded" grep -q '^kvm_amd ' /proc/modules
lab_check "kvm-smoke: real-mode guest does OUT, OUT, HLT (within 60 s)" timeout 60 iovirt-lab-kvm-smoke
lab_done
