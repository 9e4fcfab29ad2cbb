/* Argument checks and errors shared by native/'s addons (plain N-API, C11). */
#ifndef FLEETBOOT_NAPI_ARGS_H
#define FLEETBOOT_NAPI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include <node_api.h>

/* Throws an Error whose message names the step (and its subject, when not NULL) and the errno text, and whose
 * `code` is the errno name. Returns NULL, for `return throw_errno(...)`. */
napi_value throw_errno(napi_env env, const char *what, const char *subject, int err);

/* Reads `expected` arguments into argv; throws a TypeError and returns 0 when fewer were passed. */
int get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv);

/* Reads an integer within [min, max] (a JavaScript number: exact up to 2^53); throws with `what` and returns 0
 * when it is not a number (TypeError) or not such an integer (RangeError). */
int get_integer(napi_env env, napi_value value, double min, double max, const char *what, int64_t *out);

#endif
