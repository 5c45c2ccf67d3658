/* Shared between the C and the CUDA halves of the example plugins (the .cu file is
 * compiled only when ingot's CUDA backend is). */
#ifndef INGOT_EXAMPLE_PLUGINS_H
#define INGOT_EXAMPLE_PLUGINS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y = alpha * x / (1 + |x|), n float32 values, on `stream`. 0 on success. */
int example_scaled_softsign_cuda(const float *x, float *y, int64_t n, float alpha, void *stream);
/* Rows of `width` elements of `elem` bytes: the first k to `head`, the rest to `tail`. */
int example_split_tail_cuda(const void *x, void *head, void *tail, int64_t rows, int64_t width, int64_t k,
                            int64_t elem, void *stream);

#ifdef __cplusplus
}
#endif
#endif
