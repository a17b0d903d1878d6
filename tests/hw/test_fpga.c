/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fpga.c - the "fpga" backend (VFIO) where there is no card: its
 * probe must fail with -ENODEV and say which device it looked for, and
 * "auto" must pass over it. Suite fast: needs neither a card nor
 * Verilator.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gv_test.h"
#include "gv_errno.h"
#include "gv_offload.h"

static const struct gv_offload_ops *find(const char *name)
{
	for (uint32_t i = 0; i < gv_offload_count(); i++)
		if (strcmp(gv_offload_at(i)->name, name) == 0)
			return gv_offload_at(i);
	return NULL;
}

static void test_registered(void)
{
	const struct gv_offload_ops *ops = find("fpga");

	CU_ASSERT_FATAL(ops != NULL);
	CU_ASSERT_EQUAL(ops->abi, GV_OFFLOAD_ABI);
	CU_ASSERT_EQUAL(ops->prio, 100);
	CU_ASSERT_EQUAL(ops->caps, GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS |
	                GV_OFF_CAP_HW);
}

static void test_probe_absent(void)
{
	const struct gv_offload_ops *ops = find("fpga");
	struct gv_offload_params p = { .depth = 16, .device = "1234:5678" };
	char why[200] = "";

	CU_ASSERT_FATAL(ops != NULL);
	CU_ASSERT_EQUAL(ops->probe(&p, why, sizeof(why)), -ENODEV);
	printf("probe: %s\n", why);
	CU_ASSERT(strstr(why, "no PCI device 1234:5678 bound to vfio-pci") !=
	          NULL);
}

static void test_create_absent(void)
{
	struct gv_offload_params p = { .depth = 16, .device = "1234:5678" };
	char why[200] = "";
	struct gv_offload *o = gv_offload_create("fpga", &p, why, sizeof(why));

	CU_ASSERT(o == NULL);
	CU_ASSERT_EQUAL(gv_errno, ENODEV);
	CU_ASSERT(strstr(why, "no PCI device 1234:5678") != NULL);
	/* "auto" skips it: something lower always probes (sw). */
	o = gv_offload_create("auto", &p, why, sizeof(why));
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT(strcmp(o->ops->name, "fpga") != 0);
	gv_offload_free(o);
}

static void test_bad_device_strings(void)
{
	const struct gv_offload_ops *ops = find("fpga");
	const char *bad[] = { NULL, "", "1234", "xyz:1", "12345:1", "1:2:3" };
	char why[200];

	CU_ASSERT_FATAL(ops != NULL);
	for (size_t i = 0; i < GV_ARRAY_SIZE(bad); i++) {
		struct gv_offload_params p = { .depth = 8, .device = bad[i] };

		why[0] = '\0';
		CU_ASSERT_EQUAL(ops->probe(&p, why, sizeof(why)), -ENODEV);
		CU_ASSERT(strstr(why, "vendor:device") != NULL);
	}
}

static const struct gv_test tests[] = {
	GV_TEST(test_registered),
	GV_TEST(test_probe_absent),
	GV_TEST(test_create_absent),
	GV_TEST(test_bad_device_strings),
};

int main(void)
{
	return gv_test_main("hw_fpga", tests, GV_ARRAY_SIZE(tests), NULL, NULL);
}
