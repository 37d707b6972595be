#!/bin/sh
# Puts a bootable guest kernel in isoprobe's cache: Debian's newest linux-image-<version>-amd64,
# as the signed bzImage (vmlinuz-<version>), its config (config-<version>), and the
# uncompressed ELF (vmlinux-<version>) that QEMU boots PVH-style, which skips the
# decompressor: under TCG that saves most of a second per boot.
# Its modules go to modules-<version>/ (the package's lib/modules/<version>).
#
# The cache is $ISOPROBE_CACHE/kernel (default /var/cache/isoprobe/kernel); the file `version`
# there names the kernel release the other files are for. Nothing is fetched when it is complete.
# ISOPROBE_KERNEL_VERSION=6.1.0-47 fetches that version instead of the newest.
# Needs root only to install missing tools (xz-utils, qemu-system-x86) and to write the default cache.
set -eu

CACHE="${ISOPROBE_CACHE:-/var/cache/isoprobe}"
DIR="$CACHE/kernel"
PINNED="${ISOPROBE_KERNEL_VERSION:-}"
PINNED="${PINNED%-amd64}"

say() { echo "fetch-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

complete() {
	[ -s "$DIR/version" ] || return 1
	v=$(cat "$DIR/version")
	[ -z "$PINNED" ] || [ "$v" = "$PINNED-amd64" ] || return 1
	[ -s "$DIR/vmlinuz-$v" ] && [ -s "$DIR/vmlinux-$v" ] && [ -s "$DIR/config-$v" ]
}

if complete; then
	say "kernel $(cat "$DIR/version") already in $DIR"
	exit 0
fi
mkdir -p "$DIR" 2>/dev/null && [ -w "$DIR" ] \
	|| die "cannot write $DIR (run as root, or set ISOPROBE_CACHE to a directory of yours)"

# Tools: xz and zstd to extract vmlinux, qemu to boot it. Installed only when missing.
missing=""
command -v xz >/dev/null 2>&1 || missing="$missing xz-utils"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script fetches Debian's kernel package"
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing:$missing; run as root or apt-get install$missing"
	say "installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=120 $missing
fi

# The newest versioned image of the generic flavour: linux-image-6.1.0-47-amd64,
# linux-image-6.12.117+deb12-amd64. Not the meta packages (linux-image-amd64,
# linux-image-6.12-amd64), the -dbg or -unsigned ones, nor the cloud and rt flavours.
newest_package() {
	apt-cache search --names-only '^linux-image-[0-9].*-amd64$' 2>/dev/null \
		| awk '{print $1}' \
		| grep -E '^linux-image-[0-9]+\.[0-9]+\.[0-9]+[-+.][A-Za-z0-9.+~-]*-amd64$' \
		| grep -v -E -- '-(cloud|rt)-amd64$' \
		| sed 's/^linux-image-//; s/-amd64$//' \
		| sort -V | tail -n 1
}

updated=no
# ISOPROBE_KERNEL_VERSION pins one (6.1.0-47, 6.12.117+deb12) instead of the newest.
version=${PINNED:-$(newest_package)}
if [ -z "$version" ]; then
	# Empty package lists (a fresh container image): fetch them once.
	apt-get update -qq || die "apt-get update failed"
	updated=yes
	version=$(newest_package)
fi
[ -n "$version" ] || die "no linux-image-<version>-amd64 package in the apt sources (check /etc/apt/sources.list)"
release="$version-amd64"
package="linux-image-$release"

work=$(mktemp -d "${TMPDIR:-/tmp}/isoprobe-kernel.XXXXXX")
# Whatever happens, nothing half-made stays: the download, and any .tmp in the cache.
cleanup() {
	rm -rf "$work" "$DIR/modules-$release.tmp"
	rm -f "$DIR/vmlinuz-$release.tmp" "$DIR/vmlinux-$release.tmp" "$DIR/config-$release.tmp" "$DIR/version.tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# apt downloads as the _apt user when run as root: let it write here.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi

say "downloading $package"
start=$(date +%s%N)
if ! (cd "$work" && apt-get download -q "$package" >/dev/null); then
	# Lists older than the mirror name files it has since removed: refresh once and retry.
	[ "$updated" = no ] || die "apt-get download $package failed"
	apt-get update -qq || die "apt-get update failed"
	(cd "$work" && apt-get download -q "$package" >/dev/null) || die "apt-get download $package failed"
fi
deb=$(ls "$work"/*.deb)
fetched=$(date +%s%N)

mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
rm -f "$deb"
vmlinuz="$work/root/boot/vmlinuz-$release"
config="$work/root/boot/config-$release"
[ -s "$vmlinuz" ] || die "$package holds no boot/vmlinuz-$release"
[ -s "$config" ] || die "$package holds no boot/config-$release"

# The bzImage carries the kernel as one compressed stream after the setup code and the
# decompressor: XZ (FD 37 7A 58 5A 00; Debian's 6.1) or zstd (28 B5 2F FD; Debian's 6.12).
# Try each stream header in turn and keep the first that decompresses to an ELF file; the
# bytes after the stream are the rest of the image, which the decompressor must ignore.
# Complete when it is an ELF file whose section headers, written last, are all there.
is_elf() {
	[ "$(head -c 4 "$1" | od -A n -t x1 | tr -d ' \n')" = 7f454c46 ] || return 1
	shoff=$(od -A n -t u8 -j 40 -N 8 "$1" | tr -d ' ')
	shentsize=$(od -A n -t u2 -j 58 -N 2 "$1" | tr -d ' ')
	shnum=$(od -A n -t u2 -j 60 -N 2 "$1" | tr -d ' ')
	[ $((shoff + shentsize * shnum)) -le "$(stat -c %s "$1")" ]
}
vmlinux="$work/vmlinux"
extract() { # magic (grep -P escapes), decompressor command
	for offset in $(LC_ALL=C grep -obUaP "$1" "$vmlinuz" | cut -d: -f1); do
		if tail -c "+$((offset + 1))" "$vmlinuz" | $2 >"$vmlinux" 2>/dev/null; is_elf "$vmlinux"; then
			return 0
		fi
	done
	return 1
}
extract '\xfd\x37\x7a\x58\x5a\x00' 'xz -dc --single-stream' \
	|| extract '\x28\xb5\x2f\xfd' 'zstd -dcq' \
	|| die "found no XZ or zstd stream holding an ELF kernel in $vmlinuz"
done_at=$(date +%s%N)

# Files first, `version` last: a cache with a `version` file is complete. The modules are
# kept too (about 100 MB): virtio_mmio, 9p and vsock are modules in Debian's kernel.
rm -f "$DIR/version"
if [ -d "$work/root/lib/modules/$release" ]; then
	rm -rf "$DIR/modules-$release" "$DIR/modules-$release.tmp"
	mv "$work/root/lib/modules/$release" "$DIR/modules-$release.tmp"
	mv "$DIR/modules-$release.tmp" "$DIR/modules-$release"
fi
cp "$vmlinuz" "$DIR/vmlinuz-$release.tmp" && mv "$DIR/vmlinuz-$release.tmp" "$DIR/vmlinuz-$release"
cp "$config" "$DIR/config-$release.tmp" && mv "$DIR/config-$release.tmp" "$DIR/config-$release"
mv "$vmlinux" "$DIR/vmlinux-$release.tmp" && mv "$DIR/vmlinux-$release.tmp" "$DIR/vmlinux-$release"
echo "$release" >"$DIR/version.tmp" && mv "$DIR/version.tmp" "$DIR/version"

say "kernel $release in $DIR (download $(((fetched - start) / 1000000)) ms, extract $(((done_at - fetched) / 1000000)) ms)"
