#ifndef ISOPROBE_TAP_H
#define ISOPROBE_TAP_H

/* Opens /dev/net/tun and makes a tap device `name` (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR) inside the network namespace at `netns_path`, from this thread,
 * which returns to its own namespace before the call ends. The device lives
 * while the descriptor (or a copy handed to QEMU) is open. Returns the
 * descriptor (close-on-exec), or -1 with errno set. */
int isoprobe_tap_open(const char *netns_path, const char *name);

#endif
