#!/bin/busybox sh
# /init of the VM test bed's guest: mount what is needed, load the 9p
# modules, mount the host's share on /out and run /out/guest.sh from it
# (the host writes a new one for every run), then power off.
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp /out
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs nodev /sys/kernel/tracing
# Order from each module's depends= (the extracted tree has no modules.dep).
for m in virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_pci \
	9pnet 9pnet_virtio netfs fscache 9p; do
	insmod /lib/modules/$m.ko || echo "init: insmod $m failed"
done
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out; then
	sh /out/guest.sh >/out/guest.log 2>&1
	echo "guest.sh exit status $?" >>/out/guest.log
	sync
	umount /out
else
	echo "init: cannot mount the 9p share"
fi
poweroff -f
