/* .wts parser: good files, every malformed case (with the line named), and truncation and
 * byte-flip sweeps that must fail cleanly or parse consistently (run under ASan/UBSan). */
#include <stdint.h>
#include <unistd.h>

#include "test_util.h"

#ifndef INGOT_BINARY_DIR
#define INGOT_BINARY_DIR "."
#endif

/* Parses from an exactly-sized heap copy so ASan catches any read past the end. */
static ingot_status parse_exact(const char *text, size_t n, ingot_weights_map **map) {
  char *copy = malloc(n ? n : 1);
  if (n) memcpy(copy, text, n);
  ingot_status st = ingot_wts_parse(copy, n, map);
  free(copy);
  return st;
}

static ingot_status parse_str(const char *text, ingot_weights_map **map) { return parse_exact(text, strlen(text), map); }

static float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Fails with INVALID_ARGUMENT and a message holding `needle` (and leaves no map). */
#define CHECK_BAD(text, needle)                                        \
  do {                                                                 \
    ingot_weights_map *m_ = (ingot_weights_map *)1;                    \
    CHECK_FAILS(parse_str((text), &m_), INGOT_INVALID_ARGUMENT, needle); \
    CHECK(m_ == NULL);                                                 \
    ingot_weights_map_destroy(m_ == (ingot_weights_map *)1 ? NULL : m_); \
  } while (0)

static const char *k_good =
    "3\n"
    "conv1.weight 4 3f800000 bf800000 00000000 40490fdb\n"
    "conv1.bias 1 3e800000\n"
    "fc.weight 2 7f800000 7fc00000\n";

static void test_good(void) {
  ingot_weights_map *map = NULL;
  CHECK_OK(parse_str(k_good, &map));
  CHECK(map != NULL);
  if (!map) return;
  CHECK(ingot_weights_map_count(map) == 3);
  CHECK(strcmp(ingot_weights_map_name(map, 0), "conv1.weight") == 0);
  CHECK(strcmp(ingot_weights_map_name(map, 1), "conv1.bias") == 0);
  CHECK(strcmp(ingot_weights_map_name(map, 2), "fc.weight") == 0);
  CHECK(ingot_weights_map_name(map, 3) == NULL);
  CHECK(ingot_weights_map_name(map, -1) == NULL);

  ingot_weights w;
  CHECK_OK(ingot_weights_map_get(map, "conv1.weight", &w));
  CHECK(w.dtype == INGOT_FLOAT32 && w.count == 4);
  const float *v = w.values;
  CHECK(v[0] == 1.0f && v[1] == -1.0f && v[2] == 0.0f);
  CHECK_NEAR(v[3], 3.14159265, 1e-7);
  CHECK_OK(ingot_weights_map_get(map, "conv1.bias", &w));
  CHECK(w.count == 1 && ((const float *)w.values)[0] == 0.25f);
  CHECK_OK(ingot_weights_map_get(map, "fc.weight", &w));
  CHECK(w.count == 2 && isinf(((const float *)w.values)[0]) && isnan(((const float *)w.values)[1]));

  CHECK_FAILS(ingot_weights_map_get(map, "conv2.weight", &w), INGOT_NOT_FOUND, "'conv2.weight'");
  CHECK_FAILS(ingot_weights_map_get(map, "conv1", &w), INGOT_NOT_FOUND, "conv1");
  CHECK_FAILS(ingot_weights_map_get(map, NULL, &w), INGOT_INVALID_ARGUMENT, "name");
  CHECK_FAILS(ingot_weights_map_get(NULL, "x", &w), INGOT_INVALID_ARGUMENT, "map");
  CHECK_FAILS(ingot_weights_map_get(map, "x", NULL), INGOT_INVALID_ARGUMENT, "weights_out");
  ingot_weights_map_destroy(map);

  /* CRLF, trailing blanks, tabs, blank lines, upper-case and short hex, no final newline. */
  const char *loose =
      "\r\n  2 \t\r\n"
      "a\t3  3F800000\t0  C0000000 \r\n"
      "\r\n"
      "  \t \r\n"
      "b 0   \r\n";
  map = NULL;
  CHECK_OK(parse_str(loose, &map));
  if (map) {
    CHECK(ingot_weights_map_count(map) == 2);
    CHECK_OK(ingot_weights_map_get(map, "a", &w));
    CHECK(w.count == 3);
    CHECK(((const float *)w.values)[0] == 1.0f && ((const float *)w.values)[1] == 0.0f &&
          ((const float *)w.values)[2] == -2.0f);
    CHECK_OK(ingot_weights_map_get(map, "b", &w));
    CHECK(w.count == 0 && w.values == NULL);
    ingot_weights_map_destroy(map);
  }
  map = NULL;
  CHECK_OK(parse_str("1\nx 1 1", &map)); /* no final newline; "1" is 0x00000001 */
  if (map) {
    CHECK_OK(ingot_weights_map_get(map, "x", &w));
    CHECK(w.count == 1 && ((const float *)w.values)[0] == bits_to_float(1));
    ingot_weights_map_destroy(map);
  }
  map = NULL;
  CHECK_OK(parse_str("0\n", &map));
  if (map) {
    CHECK(ingot_weights_map_count(map) == 0);
    CHECK_FAILS(ingot_weights_map_get(map, "x", &w), INGOT_NOT_FOUND, "'x'");
    ingot_weights_map_destroy(map);
  }

  /* A name of exactly 1024 bytes is fine; names may hold any printable byte (UTF-8 too). */
  char name[1025];
  memset(name, 'n', 1024);
  name[1024] = '\0';
  char text[1200];
  snprintf(text, sizeof text, "2\n%s 1 0\nwe\xc3\xa9ght/1:x 1 0\n", name);
  map = NULL;
  CHECK_OK(parse_str(text, &map));
  if (map) {
    CHECK_OK(ingot_weights_map_get(map, name, &w));
    CHECK_OK(ingot_weights_map_get(map, "we\xc3\xa9ght/1:x", &w));
    ingot_weights_map_destroy(map);
  }

  /* Many entries: the hash map grows and finds each one. */
  size_t cap = 200 * 40;
  char *big = malloc(cap);
  size_t o = (size_t)snprintf(big, cap, "200\n");
  for (int i = 0; i < 200; i++) o += (size_t)snprintf(big + o, cap - o, "layer%d.weight 1 %08x\n", i, 0x3f800000u + (unsigned)i);
  map = NULL;
  CHECK_OK(parse_exact(big, o, &map));
  if (map) {
    CHECK(ingot_weights_map_count(map) == 200);
    for (int i = 0; i < 200; i++) {
      char nm[32];
      snprintf(nm, sizeof nm, "layer%d.weight", i);
      CHECK_OK(ingot_weights_map_get(map, nm, &w));
      CHECK(w.count == 1 && ((const float *)w.values)[0] == bits_to_float(0x3f800000u + (unsigned)i));
      CHECK(strcmp(ingot_weights_map_name(map, i), nm) == 0);
    }
    ingot_weights_map_destroy(map);
  }
  free(big);

  /* Accessors tolerate NULL. */
  CHECK(ingot_weights_map_count(NULL) == 0);
  CHECK(ingot_weights_map_name(NULL, 0) == NULL);
  ingot_weights_map_destroy(NULL);
}

static void test_malformed(void) {
  /* header */
  CHECK_BAD("", "line 1: expected the entry count, found end of file");
  CHECK_BAD(" \n\r\n", "line 3: expected the entry count, found end of file");
  CHECK_BAD("abc\n", "line 1: expected the entry count");
  CHECK_BAD("-1\n", "found '-1'");
  CHECK_BAD("+1\nx 0\n", "found '+1'");
  CHECK_BAD("1.5\nx 0\n", "found '1.5'");
  CHECK_BAD("99999999999\n", "line 1: expected the entry count as a decimal integer from 0 to 2147483647");
  CHECK_BAD("2 x\na 0\nb 0\n", "line 1: expected only the entry count on the first line, found 'x'");
  CHECK_BAD("1000000\na 0\n", "line 1: declares 1000000 entries but only 4 bytes follow");
  /* element count */
  CHECK_BAD("1\nconv 1x 3f800000\n", "line 2: entry 'conv': expected the element count as a non-negative decimal integer, found '1x'");
  CHECK_BAD("1\nconv -3 3f800000\n", "found '-3'");
  CHECK_BAD("1\nconv\n", "line 2: entry 'conv': expected its element count after the name, found end of line");
  CHECK_BAD("1\nconv", "expected its element count after the name, found end of file");
  CHECK_BAD("1\nconv 99999999999999999999999 0\n", "expected the element count");
  CHECK_BAD("1\nconv 1000000000 3f800000\n", "line 2: entry 'conv': declares 1000000000 values but only 10 bytes follow");
  CHECK_BAD("2\nconv 6 0 0 0 0 0\nb 1 0\n", "line 2: entry 'conv': declares 6 values, found 5 before the end of line");
  /* values */
  CHECK_BAD("1\nw 2 3f800000 3g800000\n", "line 2: entry 'w': value 2 of 2: expected a float32 as 1 to 8 hex digits");
  CHECK_BAD("1\nw 1 3f8000000\n", "found '3f8000000'");
  CHECK_BAD("1\nw 1 0x3f80\n", "found '0x3f80'");
  CHECK_BAD("1\nw 1 -1\n", "found '-1'");
  CHECK_BAD("1\nw 1 3f80,\n", "found '3f80,'");
  CHECK_BAD("2\nw 3 3f800000 3f800000\nb 1 0\n", "line 2: entry 'w': declares 3 values, found 2 before the end of line");
  CHECK_BAD("1\nw 3 3f800000 3f800000", "declares 3 values, found 2 before the end of file");
  CHECK_BAD("1\nw 1 3f800000 3f800000\n", "line 2: entry 'w': declares 1 values, found more ('3f800000' follows)");
  CHECK_BAD("2\nw 2 0\n0\nb 1 0\n", "line 2: entry 'w': declares 2 values, found 1");
  /* entries */
  CHECK_BAD("1\na 1 0\nb 1 0\n", "line 3: extra content after the 1 entries declared on line 1: 'b'");
  CHECK_BAD("1\na 1 0\n\n  junk", "line 4: extra content");
  CHECK_BAD("3\na 1 0\nb 1 0\na 1 3f800000\n", "line 4: duplicate name 'a' (first on line 2)");
  CHECK_BAD("3\na 1 0\nb 1 0\n", "line 4: end of file after 2 of the 3 entries declared on line 1");
  CHECK_BAD("3\na 1 0\n\n\nb 1 0\n\n", "line 7: end of file after 2 of the 3 entries");
  /* names */
  char text[1300];
  char name[1026];
  memset(name, 'n', 1025);
  name[1025] = '\0';
  snprintf(text, sizeof text, "1\n%s 1 0\n", name);
  CHECK_BAD(text, "line 2: entry 1: name of 1025 bytes is longer than the limit of 1024");
  {
    const char nul_name[] = "1\nab\0c 1 0\n";
    ingot_weights_map *m = NULL;
    CHECK_FAILS(parse_exact(nul_name, sizeof nul_name - 1, &m), INGOT_INVALID_ARGUMENT,
                "line 2: entry 1: name 'ab\\x00c' holds a control byte 0x00 at offset 2");
    CHECK(m == NULL);
  }
  CHECK_BAD("1\nab\x01 1 0\n", "control byte 0x01");
  /* arguments */
  ingot_weights_map *m = NULL;
  CHECK_FAILS(ingot_wts_parse(NULL, 5, &m), INGOT_INVALID_ARGUMENT, "NULL");
  CHECK_FAILS(ingot_wts_parse("0\n", 2, NULL), INGOT_INVALID_ARGUMENT, "map_out");
  CHECK_FAILS(ingot_wts_parse(NULL, 0, &m), INGOT_INVALID_ARGUMENT, "end of file");
}

static void write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(data, 1, n, f) == n);
  fclose(f);
}

static void test_load(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/test_wts_%ld.wts", INGOT_BINARY_DIR, (long)getpid());
  write_file(path, k_good, strlen(k_good));
  ingot_weights_map *map = NULL;
  CHECK_OK(ingot_wts_load(path, &map));
  if (map) {
    ingot_weights w;
    CHECK(ingot_weights_map_count(map) == 3);
    CHECK_OK(ingot_weights_map_get(map, "conv1.bias", &w));
    CHECK(w.count == 1 && ((const float *)w.values)[0] == 0.25f);
    ingot_weights_map_destroy(map);
  }
  /* A malformed file: the message names the path and the line. */
  const char *bad = "2\na 1 0\nb 2 0 zz\n";
  write_file(path, bad, strlen(bad));
  map = (ingot_weights_map *)1;
  CHECK_FAILS(ingot_wts_load(path, &map), INGOT_INVALID_ARGUMENT, "line 3: entry 'b': value 2 of 2");
  CHECK(strstr(ingot_last_error(), path) != NULL);
  CHECK(map == NULL);
  /* An empty file. */
  write_file(path, "", 0);
  CHECK_FAILS(ingot_wts_load(path, &map), INGOT_INVALID_ARGUMENT, "found end of file");
  remove(path);

  CHECK_FAILS(ingot_wts_load(path, &map), INGOT_NOT_FOUND, "No such file");
  CHECK(strstr(ingot_last_error(), path) != NULL);
  CHECK_FAILS(ingot_wts_load(INGOT_BINARY_DIR, &map), INGOT_IO_ERROR, "directory");
  CHECK_FAILS(ingot_wts_load(NULL, &map), INGOT_INVALID_ARGUMENT, "path");
  CHECK_FAILS(ingot_wts_load(path, NULL), INGOT_INVALID_ARGUMENT, "map_out");
}

/* Every prefix of a valid file either parses into a consistent map or fails with
 * INVALID_ARGUMENT; then every byte is replaced by a few troublemakers. */
static void test_sweeps(void) {
  const char *text =
      "4\r\n"
      "conv1.weight 3 3f800000 bf800000 40490fdb \r\n"
      "conv1.bias 0\n"
      "fc.weight 2 00000000 3e800000\n"
      "fc.bias 1 c0000000\n";
  size_t n = strlen(text);
  ingot_weights_map *full = NULL;
  CHECK_OK(parse_str(text, &full));
  if (!full) return;
  int parsed = 0;
  for (size_t len = 0; len <= n; len++) {
    ingot_weights_map *m = NULL;
    ingot_status st = parse_exact(text, len, &m);
    if (st == INGOT_SUCCESS) {
      parsed++;
      CHECK(m != NULL);
      if (!m) continue;
      CHECK(ingot_weights_map_count(m) == 4);
      for (int32_t i = 0; i < 4; i++) {
        const char *name = ingot_weights_map_name(full, i);
        CHECK(strcmp(ingot_weights_map_name(m, i), name) == 0);
        ingot_weights a, b;
        CHECK_OK(ingot_weights_map_get(m, name, &a));
        CHECK_OK(ingot_weights_map_get(full, name, &b));
        CHECK(a.count == b.count);
        /* A cut inside the last hex word still reads a (shorter) word: only the last
         * value of the last entry may differ. */
        int64_t same = (i == 3) ? a.count - 1 : a.count;
        if (a.count == b.count && same > 0) CHECK(memcmp(a.values, b.values, (size_t)same * sizeof(float)) == 0);
      }
      ingot_weights_map_destroy(m);
    } else {
      if (st != INGOT_INVALID_ARGUMENT)
        fprintf(stderr, "prefix %zu: %s: %s\n", len, ingot_status_name(st), ingot_last_error());
      CHECK(st == INGOT_INVALID_ARGUMENT);
      CHECK(m == NULL);
      CHECK(strstr(ingot_last_error(), "line ") != NULL);
    }
  }
  /* The full file and the prefixes that cut inside the last word or its line end. */
  CHECK(parsed >= 2 && parsed <= 10);

  const char subst[] = {'\0', '\n', ' ', 'x', '9', '-', '\r', (char)0xff};
  char *buf = malloc(n);
  for (size_t pos = 0; pos < n; pos++) {
    for (size_t k = 0; k < sizeof subst; k++) {
      memcpy(buf, text, n);
      buf[pos] = subst[k];
      ingot_weights_map *m = NULL;
      ingot_status st = parse_exact(buf, n, &m);
      CHECK(st == INGOT_SUCCESS || st == INGOT_INVALID_ARGUMENT);
      if (st == INGOT_SUCCESS) {
        CHECK(m != NULL);
        for (int32_t i = 0; m && i < ingot_weights_map_count(m); i++) {
          ingot_weights w;
          CHECK_OK(ingot_weights_map_get(m, ingot_weights_map_name(m, i), &w));
        }
      }
      ingot_weights_map_destroy(m);
    }
  }
  free(buf);
  ingot_weights_map_destroy(full);
}

/* The LeNet-5 weights shipped with the example, as train_lenet.py wrote them. */
static void test_lenet_file(void) {
#ifdef INGOT_SOURCE_DIR
  const char *path = INGOT_SOURCE_DIR "/examples/lenet/lenet5.wts";
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "note: %s absent, skipped\n", path);
    return;
  }
  fclose(f);
  static const struct {
    const char *name;
    int64_t count;
  } expected[] = {{"conv1.weight", 150}, {"conv1.bias", 6},   {"conv2.weight", 2400}, {"conv2.bias", 16},
                  {"fc1.weight", 48000}, {"fc1.bias", 120},  {"fc2.weight", 10080},  {"fc2.bias", 84},
                  {"fc3.weight", 840},   {"fc3.bias", 10}};
  ingot_weights_map *map = NULL;
  CHECK_OK(ingot_wts_load(path, &map));
  if (!map) return;
  CHECK(ingot_weights_map_count(map) == 10);
  for (int i = 0; i < 10; i++) {
    ingot_weights w;
    CHECK(strcmp(ingot_weights_map_name(map, i), expected[i].name) == 0);
    CHECK_OK(ingot_weights_map_get(map, expected[i].name, &w));
    CHECK(w.count == expected[i].count);
    for (int64_t j = 0; j < w.count; j++) CHECK(isfinite(((const float *)w.values)[j]));
  }
  ingot_weights_map_destroy(map);
#endif
}

int main(void) {
  test_lenet_file();
  test_good();
  test_malformed();
  test_load();
  test_sweeps();
  TEST_EXIT();
}
