import VM

/// The guest host's /init, after GuestInit's /proc, /sys and /dev: load the modules, mount
/// the host's root from 9p read-only under an overlay whose writes stay in guest memory,
/// give isoprobe's state, log, run and scratch folders empty tmpfs of their own (so nothing
/// of the host's isoprobe state is seen, let alone swept), mount cgroup2 alone at
/// /sys/fs/cgroup, then make that overlay the root and run `command` there, as the host's
/// own programs would run on a pure cgroup2 host.
///
/// switch_root, not chroot: the kernel refuses a user namespace to a chrooted process, and
/// the containers' default profile asks for one.
enum GuestHostScript {
    static let shareTag = "hostroot"
    /// The command's script inside the new root (its /run is a fresh tmpfs).
    static let commandPath = "/run/isoprobe-host-paths.sh"
    /// Folders isoprobe writes to, each a fresh tmpfs over the host's.
    static let freshFolders = ["/tmp", "/run", "/var/tmp", "/var/lib/isoprobe", "/var/log/isoprobe"]

    /// Of `paths` (the build tree's), those a fresh folder would hide (a checkout under /tmp):
    /// each is bound back from the host's root after the tmpfs goes over it.
    static func hiddenByFreshFolders(_ paths: [String]) -> [String] {
        paths.filter { p in freshFolders.contains { p.hasPrefix($0 + "/") } }
    }

    /// Shell words, single-quoted.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The commands for GuestInit; `command` is written to the new root's `commandPath` and
    /// run by its /bin/sh, then busybox powers the guest off.
    /// `rawPort`: a serial report port to set raw first (the tty would turn "\n" into "\r\n").
    static func initCommands(command: [String], rawPort: String? = nil, keep: [String] = []) -> String {
        let folders = freshFolders.map { "/newroot" + $0 }.joined(separator: " ")
        let rebinds = hiddenByFreshFolders(keep).map { p in
            "mkdir -p \(quote("/newroot" + p)) && mount -o bind \(quote("/host" + p)) \(quote("/newroot" + p)) || fail \(quote("cannot show " + p))"
        }.joined(separator: "\n")
        return """
            fail() { echo "isoprobe guest host: $1"; poweroff -f; }
            for m in \(GuestModules.guestDirectory)/*.ko; do [ -e "$m" ] && { insmod "$m" || echo "isoprobe guest host: cannot load $m"; }; done
            mkdir -p /host /rw /newroot
            mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=524288 \(shareTag) /host || fail 'cannot mount the host root over 9p'
            mount -t tmpfs -o mode=0755 tmpfs /rw && mkdir -p /rw/upper /rw/work || fail 'cannot make the overlay tmpfs'
            mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot || fail 'cannot mount the overlay'
            mount -t proc proc /newroot/proc && mount -t sysfs sysfs /newroot/sys && mount -t devtmpfs devtmpfs /newroot/dev || fail 'cannot mount /proc, /sys, /dev'
            for d in \(folders); do mkdir -p "$d" && mount -t tmpfs -o mode=1777 tmpfs "$d" || fail "cannot mount a tmpfs on $d"; done
            \(rebinds)
            mount -t cgroup2 none /newroot/sys/fs/cgroup || fail 'cannot mount cgroup2'
            mount -t bpf bpf /newroot/sys/fs/bpf 2>/dev/null
            cat > /newroot\(commandPath) <<'ISOPROBE_EOF'
            \(rawPort.map { "stty -F \(quote($0)) raw -echo" } ?? "")
            \(command.map(quote).joined(separator: " "))
            echo "isoprobe guest host: done, exit $?"
            exec /bin/busybox poweroff -f
            ISOPROBE_EOF
            export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
            exec switch_root /newroot /bin/sh \(commandPath)
            """
    }
}
