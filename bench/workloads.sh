#!/bin/sh
# In-guest workloads for bench/linux.sh, run by busybox sh: inside the Linux
# guest (as /bin/vireo-workloads) and natively on the host with the same
# busybox-static binary.  Each workload prints "vireo-bench: begin NAME" and
# "vireo-bench: end NAME RESULT"; the harness timestamps the lines as they
# arrive, so no clock inside the guest is trusted.  RESULT (a checksum or a
# count) must be equal everywhere: a wrong answer is not a fast answer.
T=${TMPDIR:-/tmp}
bench() { echo "vireo-bench: begin $1"; }
done_() { echo "vireo-bench: end $1 $2"; }

bench gen
seq 1 400000 > "$T/vb-data"
done_ gen "$(wc -c < "$T/vb-data")"

bench sha256sum
r=$(sha256sum "$T/vb-data")
done_ sha256sum "${r%% *}"

bench gzip
r=$(gzip -c "$T/vb-data" | wc -c)
done_ gzip "$r"

bench bzip2
r=$(bzip2 -c "$T/vb-data" | wc -c)
done_ bzip2 "$r"

bench shell-loop
i=0; s=0
while [ $i -lt 20000 ]; do i=$((i + 1)); s=$((s + i % 7)); done
done_ shell-loop "$s"

rm -f "$T/vb-data"
echo "vireo-bench: all done"
