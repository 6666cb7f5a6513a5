// SPDX-License-Identifier: MIT
// Only compiled, never run: proves the uAPI headers (and their layout
// checks, which become static_assert here) are valid C++.
#include <sys/ioctl.h>

#include "privmem/uapi/iommufd.h"
#include "privmem/uapi/iommufd_test.h"

static_assert(sizeof(iommu_test_cmd) == 72, "iommu_test_cmd");
static_assert(IOMMU_IOAS_MAP == _IO(';', 0x85), "IOMMU_IOAS_MAP");

int main()
{
	return 0;
}
