/* Tests of the command-line tool's .npy reader/writer (tools/npy.c) and shape-list parser
 * (tools/shapes.c): round trips of every dtype, byte-exact NumPy headers, malformed headers,
 * truncated data and huge shapes refused before any allocation. */
#include <stdint.h>
#include <unistd.h>

#include "test_util.h"
#include "npy.h"
#include "shapes.h"

static char err[1024];

static ingot_dims make_dims(int32_t n, const int64_t *d) {
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  dims.nb_dims = n;
  for (int32_t i = 0; i < n; i++) dims.d[i] = d[i];
  return dims;
}

static size_t elem_size(ingot_dtype dt) {
  switch (dt) {
    case INGOT_FLOAT32: case INGOT_INT32: return 4;
    case INGOT_FLOAT16: case INGOT_BFLOAT16: return 2;
    case INGOT_INT64: return 8;
    default: return 1;
  }
}

/* Builds an image from a raw header dict (padded like NumPy) and `nbytes` of data. */
static unsigned char *image_from_dict(int major, const char *dict, size_t nbytes, size_t *size_out) {
  size_t prefix = major == 1 ? 10 : 12;
  size_t dlen = strlen(dict);
  size_t total = (prefix + dlen + 1 + 63) / 64 * 64;
  size_t hlen = total - prefix;
  unsigned char *img = calloc(1, total + nbytes + 1);
  memcpy(img, "\x93NUMPY", 6);
  img[6] = (unsigned char)major;
  img[7] = 0;
  img[8] = (unsigned char)(hlen & 0xff);
  img[9] = (unsigned char)(hlen >> 8);
  if (major != 1) {
    img[10] = (unsigned char)(hlen >> 16);
    img[11] = (unsigned char)(hlen >> 24);
  }
  memcpy(img + prefix, dict, dlen);
  memset(img + prefix + dlen, ' ', hlen - dlen - 1);
  img[total - 1] = '\n';
  for (size_t i = 0; i < nbytes; i++) img[total + i] = (unsigned char)(i * 7 + 1);
  *size_out = total + nbytes;
  return img;
}

static void test_round_trips(void) {
  const ingot_dtype dtypes[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT8,
                                INGOT_INT32,   INGOT_INT64,   INGOT_BOOL,     INGOT_UINT8};
  const int64_t shapes[][4] = {{2, 3, 4, 0}, {5, 0, 0, 0}, {0, 0, 0, 0}, {1, 1, 7, 3}, {0, 4, 0, 0}};
  const int32_t ranks[] = {3, 1, 0, 4, 2};
  char path[256];
  snprintf(path, sizeof path, "%s/test_npy_%d.npy", INGOT_BINARY_DIR, (int)getpid());
  for (size_t t = 0; t < sizeof dtypes / sizeof dtypes[0]; t++) {
    for (size_t s = 0; s < sizeof ranks / sizeof ranks[0]; s++) {
      ingot_dims dims = make_dims(ranks[s], shapes[s]);
      size_t count = 1;
      for (int32_t k = 0; k < dims.nb_dims; k++) count *= (size_t)dims.d[k];
      size_t nbytes = count * elem_size(dtypes[t]);
      unsigned char *data = malloc(nbytes + 1);
      for (size_t i = 0; i < nbytes; i++) data[i] = (unsigned char)(dtypes[t] == INGOT_BOOL ? i & 1 : i * 31 + t);

      /* In memory. */
      void *img = NULL;
      size_t size = 0;
      CHECK(tool_npy_encode(dtypes[t], &dims, data, &img, &size, err, sizeof err) == 0);
      CHECK((size - nbytes) % 64 == 0);
      tool_npy got;
      CHECK(tool_npy_parse("mem", img, size, &got, err, sizeof err) == 0);
      CHECK(got.dtype == dtypes[t]);
      CHECK(got.dims.nb_dims == dims.nb_dims);
      for (int32_t k = 0; k < dims.nb_dims; k++) CHECK(got.dims.d[k] == dims.d[k]);
      CHECK(got.nbytes == nbytes);
      CHECK(nbytes == 0 || memcmp(got.data, data, nbytes) == 0);
      tool_npy_free(&got);
      free(img);

      /* Through a file. */
      CHECK(tool_npy_save(path, dtypes[t], &dims, data, err, sizeof err) == 0);
      CHECK(tool_npy_load(path, &got, err, sizeof err) == 0);
      CHECK(got.dtype == dtypes[t] && got.nbytes == nbytes);
      CHECK(got.dims.nb_dims == dims.nb_dims);
      CHECK(nbytes == 0 || memcmp(got.data, data, nbytes) == 0);
      tool_npy_free(&got);
      free(data);
    }
  }
  remove(path);
}

/* The header NumPy 1.x/2.x writes for np.zeros((2, 3), '<f4'), byte for byte. */
static void test_numpy_exact_header(void) {
  float zeros[6] = {0};
  ingot_dims dims = make_dims(2, (const int64_t[]){2, 3});
  void *img;
  size_t size;
  CHECK(tool_npy_encode(INGOT_FLOAT32, &dims, zeros, &img, &size, err, sizeof err) == 0);
  const char *expect = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  CHECK(size == 128 + 24);
  CHECK(memcmp(img, expect, 10) == 0);
  CHECK(memcmp((char *)img + 10, expect + 10, strlen(expect + 10)) == 0);
  CHECK(((char *)img)[127] == '\n');
  free(img);
  CHECK(strcmp(tool_npy_descr(INGOT_INT8), "|i1") == 0);
  CHECK(strcmp(tool_npy_descr(INGOT_BOOL), "|b1") == 0);
  CHECK(strcmp(tool_npy_descr(INGOT_BFLOAT16), "<u2") == 0);
}

static void test_versions_and_spellings(void) {
  static const struct {
    int major;
    const char *dict;
    ingot_dtype dtype;
    int32_t rank;
    size_t nbytes;
  } good[] = {
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", INGOT_FLOAT32, 2, 24},
      {2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", INGOT_INT64, 1, 24},
      {3, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", INGOT_INT32, 0, 4},
      {1, "{\"shape\": (4,), \"fortran_order\": False, \"descr\": \"<i1\"}", INGOT_INT8, 1, 4},
      {1, "{'descr':'|u1','fortran_order':False,'shape':(2,2)}", INGOT_UINT8, 2, 4},
      {1, "{'descr': '<b1', 'fortran_order': False, 'shape': (1, 2,), }", INGOT_BOOL, 2, 2},
      {1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3L, 1L), }", INGOT_FLOAT16, 2, 6},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    size_t size;
    unsigned char *img = image_from_dict(good[i].major, good[i].dict, good[i].nbytes, &size);
    tool_npy got;
    int rc = tool_npy_parse("good.npy", img, size, &got, err, sizeof err);
    if (rc != 0) fprintf(stderr, "good header %zu refused: %s\n", i, err);
    CHECK(rc == 0);
    if (rc == 0) {
      CHECK(got.dtype == good[i].dtype);
      CHECK(got.dims.nb_dims == good[i].rank);
      CHECK(got.nbytes == good[i].nbytes);
      tool_npy_free(&got);
    }
    free(img);
  }
}

static void expect_refused(const char *label, const void *img, size_t size, const char *needle) {
  tool_npy got;
  err[0] = '\0';
  int rc = tool_npy_parse("bad.npy", img, size, &got, err, sizeof err);
  if (rc == 0) {
    fprintf(stderr, "%s: accepted, expected refusal with '%s'\n", label, needle);
    tool_npy_free(&got);
    test_failures++;
    return;
  }
  CHECK(got.data == NULL);
  if (!strstr(err, needle) || !strstr(err, "bad.npy")) {
    fprintf(stderr, "%s: message '%s' lacks '%s' or the file name\n", label, err, needle);
    test_failures++;
  }
}

static void test_malformed_headers(void) {
  static const struct {
    const char *dict;
    size_t nbytes;
    const char *needle;
  } bad[] = {
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, "fortran_order is True"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "big-endian"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype '<f8'"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "structured"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "trailing comma"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 0, "non-negative"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", 0, "expected ','"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (02,), }", 8, "leading zero"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }", 24, "expected ','"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24, "expected '('"},
      {"{'descr': '<f4', 'fortran_order': False, }", 4, "missing key 'shape'"},
      {"{'descr': '<f4', 'shape': (1,), }", 4, "missing key 'fortran_order'"},
      {"{'fortran_order': False, 'shape': (1,), }", 4, "missing key 'descr'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4, "appears twice"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", 4, "unexpected key 'extra'"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", 4, "True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", 4, "unexpected text"},
      {"'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, "expected '{'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", 4, "unsupported dtype '<f4, '"},
      {"{'descr': '<f4', 'fortran_order': False 'shape': (1,), }", 4, "expected '}'"},
      {"{'descr': '<\\f4', 'fortran_order': False, 'shape': (1,), }", 4, "unexpected character"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1,), }", 4, "more than 8 dims"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 4, "64 bits"},
      {"", 0, "expected '{'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t size;
    unsigned char *img = image_from_dict(1, bad[i].dict, bad[i].nbytes, &size);
    char label[32];
    snprintf(label, sizeof label, "bad header %zu", i);
    expect_refused(label, img, size, bad[i].needle);
    free(img);
  }

  /* Prefix problems: magic, version, announced header length. */
  size_t size;
  unsigned char *img = image_from_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4, &size);
  unsigned char *copy = malloc(size);
  memcpy(copy, img, size);
  copy[1] = 'X';
  expect_refused("magic", copy, size, "not an .npy file");
  memcpy(copy, img, size);
  copy[6] = 4;
  expect_refused("version 4", copy, size, "version 4.0");
  memcpy(copy, img, size);
  copy[7] = 1;
  expect_refused("version 1.1", copy, size, "version 1.1");
  memcpy(copy, img, size);
  copy[8] = 0xff;
  copy[9] = 0xff;
  expect_refused("header length past the end", copy, size, "truncated .npy header");
  expect_refused("empty", copy, 0, "not an .npy file");
  expect_refused("prefix only", copy, 9, "truncated");
  /* No newline at the end of the header. */
  memcpy(copy, img, size);
  copy[size - 4 - 1] = ' ';
  expect_refused("no newline", copy, size, "unexpected text");
  /* A v2 header announcing more than the limit. */
  unsigned char *v2 = image_from_dict(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4, &size);
  v2[11] = 0x7f;
  expect_refused("huge header", v2, size, "larger than");
  free(v2);
  free(copy);
  free(img);
}

static void test_truncated_and_trailing(void) {
  size_t size;
  unsigned char *img = image_from_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, &size);
  expect_refused("truncated data", img, size - 1, "truncated data");
  expect_refused("no data", img, size - 24, "needs 24 bytes");
  free(img);
  img = image_from_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 25, &size);
  expect_refused("trailing byte", img, size, "unexpected bytes after the data");
  free(img);
}

/* Shapes whose data could never be in the file are refused before any allocation (under
 * ASan a huge malloc would abort the test, so passing proves none happened). */
static void test_huge_shapes(void) {
  static const char *dicts[] = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }",
      "{'descr': '<i8', 'fortran_order': False, 'shape': (4611686018427387904,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000000), }",
      "{'descr': '<f2', 'fortran_order': False, 'shape': (100000000000,), }",
  };
  char path[256];
  snprintf(path, sizeof path, "%s/test_npy_huge_%d.npy", INGOT_BINARY_DIR, (int)getpid());
  for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
    size_t size;
    unsigned char *img = image_from_dict(1, dicts[i], 16, &size);
    tool_npy got;
    CHECK(tool_npy_parse("huge.npy", img, size, &got, err, sizeof err) != 0);
    CHECK(strstr(err, "huge.npy") != NULL);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
      fwrite(img, 1, size, f);
      fclose(f);
      CHECK(tool_npy_load(path, &got, err, sizeof err) != 0);
      CHECK(strstr(err, path) != NULL);
      CHECK(got.data == NULL);
    }
    free(img);
  }
  remove(path);
}

static void test_load_errors(void) {
  tool_npy got;
  CHECK(tool_npy_load("/nonexistent/dir/x.npy", &got, err, sizeof err) != 0);
  CHECK(strstr(err, "/nonexistent/dir/x.npy") != NULL && strstr(err, "cannot open") != NULL);
  CHECK(tool_npy_load("/", &got, err, sizeof err) != 0);
  CHECK(strstr(err, "not a regular file") != NULL);
  char path[256];
  snprintf(path, sizeof path, "%s/test_npy_trunc_%d.npy", INGOT_BINARY_DIR, (int)getpid());
  size_t size;
  unsigned char *img = image_from_dict(3, "{'descr': '<i4', 'fortran_order': False, 'shape': (8,), }", 32, &size);
  for (size_t cut = 0; cut <= size; cut += (cut < 16 ? 1 : 9)) {
    FILE *f = fopen(path, "wb");
    fwrite(img, 1, cut, f);
    fclose(f);
    int rc = tool_npy_load(path, &got, err, sizeof err);
    if (cut == size) {
      CHECK(rc == 0);
      if (rc == 0) tool_npy_free(&got);
    } else {
      CHECK(rc != 0);
      CHECK(strstr(err, path) != NULL);
    }
  }
  free(img);
  remove(path);
  CHECK(tool_npy_save("/nonexistent/dir/y.npy", INGOT_FLOAT32, &(ingot_dims){1, {1}}, (float[]){1}, err,
                      sizeof err) != 0);
  CHECK(strstr(err, "/nonexistent/dir/y.npy") != NULL);
  void *out;
  CHECK(tool_npy_encode(INGOT_FLOAT32, &(ingot_dims){1, {-1}}, (float[]){1}, &out, &size, err, sizeof err) != 0);
}

static void test_shapes(void) {
  tool_shape_list list;
  CHECK(tool_shapes_parse("input:1x3x224x224,mask:4,ids:0:2x5", &list, err, sizeof err) == 0);
  CHECK(list.count == 3);
  const ingot_dims *d = tool_shapes_find(&list, "input");
  CHECK(d && d->nb_dims == 4 && d->d[0] == 1 && d->d[1] == 3 && d->d[3] == 224);
  d = tool_shapes_find(&list, "mask");
  CHECK(d && d->nb_dims == 1 && d->d[0] == 4);
  d = tool_shapes_find(&list, "ids:0");
  CHECK(d && d->nb_dims == 2 && d->d[0] == 2 && d->d[1] == 5);
  CHECK(tool_shapes_find(&list, "nope") == NULL);
  char buf[64];
  tool_dims_format(tool_shapes_find(&list, "input"), buf, sizeof buf);
  CHECK(strcmp(buf, "1x3x224x224") == 0);
  tool_shapes_free(&list);

  static const struct {
    const char *text;
    const char *needle;
  } bad[] = {
      {"", "empty"},
      {"x", "no ':'"},
      {":1x2", "empty tensor name"},
      {"x:", "no dims"},
      {"x:1x", "non-negative integer"},
      {"x:x1", "non-negative integer"},
      {"x:1xx2", "non-negative integer"},
      {"x:-1x2", "non-negative integer"},
      {"x:1*2", "unexpected character '*'"},
      {"x:1X2", "unexpected character 'X'"},
      {"x:1x2 ", "unexpected character ' '"},
      {"x:01", "leading zero"},
      {"x:1x2,", "empty entry"},
      {",x:1", "empty entry"},
      {"x:1,x:2", "given twice"},
      {"x:1x1x1x1x1x1x1x1x1", "more than 8 dims"},
      {"x:99999999999999999999", "too large"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    int rc = tool_shapes_parse(bad[i].text, &list, err, sizeof err);
    if (rc == 0 || !strstr(err, bad[i].needle)) {
      fprintf(stderr, "shapes '%s': rc %d, message '%s', expected '%s'\n", bad[i].text, rc, err, bad[i].needle);
      test_failures++;
    }
    CHECK(list.count == 0 && list.items == NULL);
    if (rc == 0) tool_shapes_free(&list);
  }
  CHECK(tool_shapes_parse(NULL, &list, err, sizeof err) != 0);
}

int main(void) {
  test_round_trips();
  test_numpy_exact_header();
  test_versions_and_spellings();
  test_malformed_headers();
  test_truncated_and_trailing();
  test_huge_shapes();
  test_load_errors();
  test_shapes();
  TEST_EXIT();
}
