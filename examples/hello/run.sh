#!/bin/sh
# Build and run examples/hello on a machine with no registry. The base image is Debian's busybox-static:
#   apt-get install -y busybox-static && pip install . && examples/hello/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

# A busybox root filesystem: the static binary, a symlink per applet, root's /etc files and a /tmp.
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list-full); do
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"

pybuildkit import "$rootfs" -t busybox:debian >/dev/null
pybuildkit build -t hello "$here"
pybuildkit run --rm hello
