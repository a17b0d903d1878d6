/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gv_off_fpga.c - "fpga": the matching core on a PCIe card, reached
 * through VFIO. BAR0 is the register map of docs/offload.md; the driver
 * (gv_off_drv.c) is the one "fpga-sim" uses, over a mapped BAR instead of
 * the simulation.
 *
 * Finding the card: params->device is "vendor:device" (hex). The probe
 * scans /sys/bus/pci/devices/<bdf>/{vendor,device}, requires the device
 * to be bound to vfio-pci and reads its IOMMU group. init opens
 * /dev/vfio/vfio (a container), /dev/vfio/<group>, attaches the group
 * with the type 1 IOMMU, gets the device fd, asks
 * VFIO_DEVICE_GET_REGION_INFO for BAR0 and mmaps it. The core does no DMA,
 * so no IOMMU mappings are set up.
 *
 * Without a card the probe fails with -ENODEV and says so ("no PCI device
 * 1234:5678 bound to vfio-pci"), and "auto" moves on to "fpga-sim"/"sw".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gv_off_drv.h"

#define FPGA_SYSFS_PCI "/sys/bus/pci/devices"
#define FPGA_BAR_MIN 0x3000u    /* registers + both ring windows */

struct fpga_ctx {
	int container, group, device;
	volatile uint8_t *bar;
	size_t bar_len;
	struct gv_off_drv drv;
};

/* Where the tests point the sysfs scan; the real tree otherwise. */
static const char *g_fpga_sysfs = FPGA_SYSFS_PCI;

static int parse_id(const char *s, uint16_t *ven, uint16_t *dev)
{
	unsigned int v, d;
	char tail;

	if (s == NULL || sscanf(s, "%x:%x%c", &v, &d, &tail) != 2 ||
	    v > 0xffff || d > 0xffff)
		return -EINVAL;
	*ven = (uint16_t)v;
	*dev = (uint16_t)d;
	return 0;
}

static int read_hex(const char *dir, const char *bdf, const char *file,
                    unsigned int *out)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, bdf, file);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	ok = fscanf(f, "%x", out) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

/* The basename of the symlink <dir>/<bdf>/<link> into out, or -errno. */
static int read_link_base(const char *dir, const char *bdf, const char *link,
                          char *out, size_t n)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, bdf, link);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (strlen(base) >= n)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

/*
 * Find the first device ven:dev bound to vfio-pci: its address in bdf and
 * its IOMMU group number. -ENODEV with the reason in why otherwise.
 */
static int find_device(const char *id, char *bdf, size_t bdflen, int *group,
                       char *why, size_t n)
{
	uint16_t ven, dev;
	DIR *dir;
	struct dirent *de;
	int found = 0, rc = -ENODEV;

	if (parse_id(id, &ven, &dev) < 0) {
		snprintf(why, n, "fpga: device \"%s\" is not vendor:device (hex)",
		         id != NULL ? id : "");
		return -ENODEV;
	}
	dir = opendir(g_fpga_sysfs);
	while (dir != NULL && (de = readdir(dir)) != NULL && rc < 0) {
		unsigned int v, d;
		char drv[64], grp[32];

		if (de->d_name[0] == '.' ||
		    read_hex(g_fpga_sysfs, de->d_name, "vendor", &v) < 0 ||
		    read_hex(g_fpga_sysfs, de->d_name, "device", &d) < 0 ||
		    v != ven || d != dev)
			continue;
		found++;
		if (read_link_base(g_fpga_sysfs, de->d_name, "driver", drv,
		                   sizeof(drv)) < 0 || strcmp(drv, "vfio-pci") != 0 ||
		    read_link_base(g_fpga_sysfs, de->d_name, "iommu_group", grp,
		                   sizeof(grp)) < 0)
			continue;
		if (strlen(de->d_name) >= bdflen)
			continue;
		memcpy(bdf, de->d_name, strlen(de->d_name) + 1);
		*group = atoi(grp);
		rc = 0;
	}
	if (dir != NULL)
		closedir(dir);
	if (rc < 0)
		snprintf(why, n, "fpga: no PCI device %04x:%04x bound to vfio-pci%s",
		         ven, dev, found ? " (found, but bound to another driver "
		         "or without an IOMMU group)" : "");
	return rc;
}

static int fpga_probe(const struct gv_offload_params *p, char *why, size_t n)
{
	char bdf[64];
	int group;

	if (p->depth < 1 || p->depth > GV_OFFLOAD_DEPTH_MAX) {
		snprintf(why, n, "fpga: depth %u out of range", p->depth);
		return -ENODEV;
	}
	return find_device(p->device, bdf, sizeof(bdf), &group, why, n);
}

static size_t fpga_ctx_size(const struct gv_offload_params *p)
{
	(void)p;
	return sizeof(struct fpga_ctx);
}

static uint32_t bar_read32(void *arg, uint32_t addr)
{
	const struct fpga_ctx *f = arg;

	GV_ASSERT(addr + 4 <= f->bar_len && (addr & 3) == 0);
	return *(volatile const uint32_t *)(f->bar + addr);
}

static void bar_write32(void *arg, uint32_t addr, uint32_t val)
{
	struct fpga_ctx *f = arg;

	GV_ASSERT(addr + 4 <= f->bar_len && (addr & 3) == 0);
	*(volatile uint32_t *)(f->bar + addr) = val;
}

/* Container + group + device fd for bdf in IOMMU group `group`. */
static int open_vfio(struct fpga_ctx *f, const char *bdf, int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	f->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (f->container < 0)
		return -errno;
	if (ioctl(f->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(f->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	f->group = open(path, O_RDWR | O_CLOEXEC);
	if (f->group < 0)
		return -errno;
	if (ioctl(f->group, VFIO_GROUP_GET_STATUS, &st) < 0)
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;      /* another device of the group is in use */
	if (ioctl(f->group, VFIO_GROUP_SET_CONTAINER, &f->container) < 0 ||
	    ioctl(f->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		return -errno;
	f->device = ioctl(f->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return f->device < 0 ? -errno : 0;
}

static int map_bar0(struct fpga_ctx *f)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *p;

	if (ioctl(f->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return -errno;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size < FPGA_BAR_MIN)
		return -ENOTSUP;
	p = mmap(NULL, (size_t)ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
	         f->device, (off_t)ri.offset);
	if (p == MAP_FAILED)
		return -errno;
	f->bar = p;
	f->bar_len = (size_t)ri.size;
	return 0;
}

static void fpga_fini(void *ctx)
{
	struct fpga_ctx *f = ctx;

	if (f->bar != NULL)
		munmap((void *)(uintptr_t)f->bar, f->bar_len);
	if (f->device >= 0)
		close(f->device);
	if (f->group >= 0)
		close(f->group);
	if (f->container >= 0)
		close(f->container);
	f->bar = NULL;
	f->device = f->group = f->container = -1;
}

static int fpga_init(void *ctx, const struct gv_offload_params *p)
{
	struct fpga_ctx *f = ctx;
	struct gv_off_bus bus;
	char bdf[64], why[160];
	int group, rc;

	f->container = f->group = f->device = -1;
	f->bar = NULL;
	rc = find_device(p->device, bdf, sizeof(bdf), &group, why, sizeof(why));
	if (rc == 0)
		rc = open_vfio(f, bdf, group);
	if (rc == 0)
		rc = map_bar0(f);
	if (rc == 0) {
		bus.read32 = bar_read32;
		bus.write32 = bar_write32;
		bus.arg = f;
		rc = gv_off_drv_init(&f->drv, &bus, p->depth, why, sizeof(why));
	}
	if (rc < 0)
		fpga_fini(f);
	return rc;
}

static int fpga_submit_burst(void *ctx, const struct gv_off_cmd *c,
                             uint32_t n)
{
	struct fpga_ctx *f = ctx;

	GV_ASSERT(f->bar != NULL);
	return gv_off_drv_submit_burst(&f->drv, c, n);
}

static int fpga_poll_burst(void *ctx, struct gv_off_ev *ev, uint32_t n)
{
	struct fpga_ctx *f = ctx;

	GV_ASSERT(f->bar != NULL);
	return gv_off_drv_poll_burst(&f->drv, ev, n);
}

static const struct gv_offload_ops fpga_ops = {
	.abi = GV_OFFLOAD_ABI,
	.name = "fpga",
	.prio = 100,
	.caps = GV_OFF_CAP_MATCH | GV_OFF_CAP_LEVELS | GV_OFF_CAP_HW,
	.probe = fpga_probe,
	.ctx_size = fpga_ctx_size,
	.init = fpga_init,
	.fini = fpga_fini,
	.submit_burst = fpga_submit_burst,
	.poll_burst = fpga_poll_burst,
};

GV_OFFLOAD_REGISTER(fpga_ops)
