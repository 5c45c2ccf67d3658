/* The micro-kernel families of the packed GEMM, one file per ISA; gemm.c lists them. A file
 * whose ISA the compiler cannot target leaves its kernel out (INGOT_GEMM_HAVE_X86). */
#ifndef INGOT_BACKEND_CPU_GEMM_UKERNELS_H
#define INGOT_BACKEND_CPU_GEMM_UKERNELS_H

#include "backend/cpu/gemm/gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define INGOT_GEMM_HAVE_X86 1
extern const ingot_gemm_kernel ingot_gemm_f32_14x32_avx512; /* gemm_avx512.c */
extern const ingot_gemm_kernel ingot_gemm_f32_6x16_avx2;    /* gemm_avx2.c */
#endif
extern const ingot_gemm_kernel ingot_gemm_f32_4x16_c;       /* gemm_portable.c */

#endif
