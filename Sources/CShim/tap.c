#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int isoprobe_tap_open(const char *netns_path, const char *name)
{
	int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(netns_path, O_RDONLY | O_CLOEXEC);
	int fd = -1, saved = 0;

	if (own < 0 || target < 0) {
		saved = errno;
		goto out;
	}
	if (setns(target, CLONE_NEWNET) != 0) {
		saved = errno;
		goto out;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
		if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	} else {
		saved = errno;
	}
	/* Back home whatever happened: the rest of isoprobe runs on this thread. */
	if (setns(own, CLONE_NEWNET) != 0 && fd >= 0) {
		saved = errno;
		close(fd);
		fd = -1;
	}
out:
	if (own >= 0)
		close(own);
	if (target >= 0)
		close(target);
	if (fd < 0)
		errno = saved;
	return fd;
}
