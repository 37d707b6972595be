/// The guest's /init: busybox sh, run by the kernel as PID 1 with the console on fds 0-2
/// (the kernel's built-in initramfs provides /dev/console before ours is unpacked over it).
public enum GuestInit {
    /// Mounts /proc, /sys and devtmpfs on /dev, runs `commands`, then powers off, which ends
    /// QEMU. PID 1 exiting would panic the guest (`panic=-1` then reboots, which ends QEMU
    /// too, but reads as a failure).
    public static func script(running commands: String) -> String {
        """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        \(commands)
        poweroff -f

        """
    }
}
