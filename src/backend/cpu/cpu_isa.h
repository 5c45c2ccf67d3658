/* Which instance of an isa_instances.inc body this CPU runs, from cpuid. */
#ifndef INGOT_BACKEND_CPU_CPU_ISA_H
#define INGOT_BACKEND_CPU_CPU_ISA_H

enum { INGOT_CPU_ISA_BASE = 0, INGOT_CPU_ISA_AVX2 = 1, INGOT_CPU_ISA_AVX512 = 2 };

/* AVX512 with AVX-512 F, VL and DQ; AVX2 with AVX2 and FMA; else BASE. */
static inline int ingot_cpu_isa_level(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return INGOT_CPU_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return INGOT_CPU_ISA_AVX2;
#endif
  return INGOT_CPU_ISA_BASE;
}

#endif
