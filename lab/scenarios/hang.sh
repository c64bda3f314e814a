# Never finishes: the harness must stop the lab at its time limit and say so.
echo "IOVIRT-LAB: hang: waiting forever"
while :; do sleep 60; done
