/* TopK's scratch: the CPU topk tactic row passes this as its workspace_size. */
#ifndef INGOT_BACKEND_CPU_TOPK_H
#define INGOT_BACKEND_CPU_TOPK_H

#include "backend/backend.h"

/* Bytes of workspace ingot_cpu_topk needs for args' dims (no data is read): one heap of k
 * int64 indices per parallel slot. */
uint64_t ingot_cpu_topk_workspace(const ingot_kernel_args *args);

#endif
