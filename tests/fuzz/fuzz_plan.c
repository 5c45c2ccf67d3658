/* libFuzzer target: plan bytes -> engine -> one execute. The harness rewrites the header's
 * payload size and checksum to match the bytes it was given; otherwise almost every
 * mutation would stop at the checksum and the section parsers behind it would never be
 * reached. (The checksum check itself is covered by tests/unit/test_plan.c.) */
#include "core/checksum.h"
#include "fuzz_common.h"
#include "plan/plan_format.h"

/* Header offsets of payload_size and payload_checksum (see plan_format.h). */
#define PAYLOAD_SIZE_AT 40u
#define CHECKSUM_AT 48u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ingot_runtime *runtime;
  if (!runtime && ingot_runtime_create(fuzz_logger(), &runtime) != INGOT_SUCCESS) __builtin_trap();
  uint8_t *plan = malloc(size ? size : 1);
  if (!plan) return 0;
  memcpy(plan, data, size);
  /* A header whose last byte is 'X' is kept as given, so the checks before the checksum
   * (truncation, forged sizes) are fuzzed too. */
  if (size >= INGOT_PLAN_HEADER_SIZE && plan[INGOT_PLAN_HEADER_SIZE - 1] != 'X') {
    uint64_t payload = size - INGOT_PLAN_HEADER_SIZE;
    uint64_t sum = ingot_checksum64(plan + INGOT_PLAN_HEADER_SIZE, payload);
    memcpy(plan + PAYLOAD_SIZE_AT, &payload, 8);
    memcpy(plan + CHECKSUM_AT, &sum, 8);
  }
  ingot_engine *engine = NULL;
  if (ingot_runtime_deserialize_engine(runtime, plan, size, &engine) != INGOT_SUCCESS) {
    FUZZ_REQUIRE_MESSAGE();
  } else {
    fuzz_execute_once(engine);
    ingot_engine_destroy(engine);
  }
  free(plan);
  return 0;
}
