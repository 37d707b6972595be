/* CPUID for the calibration's host facts: see include/ckvm.h. */
#include "ckvm.h"

#include <cpuid.h>

void isoprobe_cpuid(uint32_t leaf, uint32_t out[4])
{
	__cpuid(leaf, out[0], out[1], out[2], out[3]);
}
