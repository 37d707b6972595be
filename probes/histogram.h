/* Log2 histogram layout shared by every probe and by isoprobe's reader.
 * Slot i counts values v with floor(log2(v)) == i (v = 0 and v = 1 land in slot 0),
 * the same bucketing bcc's libbpf-tools use, so reports read alike. */
#ifndef ISOPROBE_HISTOGRAM_H
#define ISOPROBE_HISTOGRAM_H

#define ISOPROBE_HIST_SLOTS 40

/* Raised whenever a probe's maps, settings or program variants change in a way the
 * loader must know; the loader refuses objects built for another value. */
#define ISOPROBE_PROBES_ABI 5

#endif
