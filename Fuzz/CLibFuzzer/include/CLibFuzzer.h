#ifndef ISOPROBE_CLIBFUZZER_H
#define ISOPROBE_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): runs the fuzzing loop with
 * the command line's flags, calling back once per input. The fuzz targets call it from
 * their own main, which SwiftPM's executables always have; only builds with -DFUZZING
 * refer to it. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
