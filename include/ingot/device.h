/* ingot — devices: which GPUs there are, device memory and copies, for programs that feed
 * an engine of the cuda target without including CUDA's headers themselves. With no such
 * backend built in, or no driver or GPU present, each call returns INGOT_UNSUPPORTED with
 * a message (never aborts). Pointers are the device's (cudaMalloc'd) except *_host ones. */
#ifndef INGOT_DEVICE_H
#define INGOT_DEVICE_H

#include "ingot/builder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of devices of the target (0 and an error status when there is none). */
INGOT_API ingot_status ingot_device_count(ingot_target target, int32_t *count_out);
/* The architecture name of a device, as plans record it ("sm_90"). */
INGOT_API ingot_status ingot_device_arch(ingot_target target, int32_t device_index, char *buf, size_t size);
/* Makes `device_index` the calling thread's current device. */
INGOT_API ingot_status ingot_device_set_current(ingot_target target, int32_t device_index);
INGOT_API ingot_status ingot_device_malloc(ingot_target target, uint64_t bytes, void **ptr_out);
INGOT_API void ingot_device_free(ingot_target target, void *ptr);
/* Pinned (page-locked) host memory, for copies that overlap with compute. */
INGOT_API ingot_status ingot_device_malloc_host(ingot_target target, uint64_t bytes, void **ptr_out);
INGOT_API void ingot_device_free_host(ingot_target target, void *ptr);
/* Synchronous copies. */
INGOT_API ingot_status ingot_device_copy_to_device(ingot_target target, void *dst, const void *src, uint64_t bytes);
INGOT_API ingot_status ingot_device_copy_to_host(ingot_target target, void *dst, const void *src, uint64_t bytes);

#ifdef __cplusplus
}
#endif
#endif
