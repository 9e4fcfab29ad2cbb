#include "napi_args.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

napi_value throw_errno(napi_env env, const char *what, const char *subject, int err) {
  char message[256];
  const char *name = strerrorname_np(err);
  snprintf(message, sizeof message, "%s%s%s: %s (%s)", what, subject ? " " : "", subject ? subject : "",
           strerror(err), name ? name : "?");
  napi_throw_error(env, name ? name : "EUNKNOWN", message);
  return NULL;
}

int get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < expected) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return 0;
  }
  return 1;
}

int get_integer(napi_env env, napi_value value, double min, double max, const char *what, int64_t *out) {
  napi_valuetype type;
  double number = 0;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, &number) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return 0;
  }
  /* Range first: converting NaN, an infinity or anything outside int64_t to an integer is undefined behaviour. */
  if (!isfinite(number) || number < min || number > max || number != (double)(int64_t)number) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", what);
    return 0;
  }
  *out = (int64_t)number;
  return 1;
}
