/* libFuzzer target: .npy bytes -> tool_npy_parse, then a re-encode of what was read, which
 * must parse back to the same dtype, dims and data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tool_npy npy;
  char err[512];
  err[0] = '\0';
  if (tool_npy_parse("fuzz.npy", data, size, &npy, err, sizeof err) != 0) {
    if (err[0] == '\0') __builtin_trap(); /* a failure must say why */
    return 0;
  }
  void *image = NULL;
  size_t image_size = 0;
  if (tool_npy_encode(npy.dtype, &npy.dims, npy.data, &image, &image_size, err, sizeof err) != 0) __builtin_trap();
  tool_npy back;
  if (tool_npy_parse("again.npy", image, image_size, &back, err, sizeof err) != 0) __builtin_trap();
  if (back.dtype != npy.dtype || back.nbytes != npy.nbytes || back.dims.nb_dims != npy.dims.nb_dims ||
      (npy.nbytes && memcmp(back.data, npy.data, npy.nbytes) != 0))
    __builtin_trap();
  tool_npy_free(&back);
  free(image);
  tool_npy_free(&npy);
  return 0;
}
