/* Busy polling of the event loop after a lock-step TFTP transfer's datagram: native/busy_poll.c. */
#ifndef FLEETBOOT_BUSY_POLL_H
#define FLEETBOOT_BUSY_POLL_H

#include <stdint.h>

#include <node_api.h>

/* A lock-step transfer socket of this thread has handled a datagram of its peer that arrived at `arrived_ns`
 * (uv_hrtime): the window adapts to the time from the end of the last handling to that arrival, and the loop keeps
 * polling for it from now. */
void busy_poll_touch(uint64_t arrived_ns);

/* busyPoll(micros): sets this thread's largest window, 0 to 1 000 000 µs; 0 switches busy polling off. */
napi_value busy_poll_set(napi_env env, napi_callback_info info);

/* busyPolling(): whether this thread's loop is polling without sleeping right now. */
napi_value busy_poll_active(napi_env env, napi_callback_info info);

/* busyPollWindow(): this thread's window now, in µs (it adapts between 0 and the largest). */
napi_value busy_poll_window(napi_env env, napi_callback_info info);

#endif
