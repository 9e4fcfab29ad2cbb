/*
 * Busy polling of the event loop after a lock-step TFTP transfer's datagram (docs/tftp.md "Busy polling").
 *
 * Why: lock-step TFTP (RFC 1350, windowsize 1) is one round trip per block. Between an ACK and the next, a loop
 * with nothing else to do sleeps in epoll_wait(2), and the next ACK has to wake its thread: the sender's kernel
 * path does the wake-up (on a virtual machine an inter-processor interrupt, an exit to the hypervisor) and the
 * thread waits to be scheduled back in. A profile on this project's 2-CPU machine (bench/README.md "Busy
 * polling") found the kit's client paying ten times as much for those wake-ups with fleetboot as the server as
 * with dnsmasq, which polls 200 sockets with poll(2) on every turn and so is rarely asleep when an ACK arrives.
 *
 * Decision: after a lock-step transfer socket has handled a datagram of its peer, the loop does not sleep for the
 * window that follows: an active uv_idle_t makes libuv poll with a zero timeout, and its callback stops it once
 * the window has passed without another such datagram. It re-polls epoll in user space and saves only the thread's
 * wake-up (the interrupt and softirq path stays); the kernel's own busy polling (SO_BUSY_POLL, net.core.busy_poll)
 * spins a NIC driver's NAPI context instead, and needs a NIC whose driver has one.
 *
 * The window adapts, as the guest halt-polling of Linux (cpuidle-haltpoll) adapts its own: the time from the end of
 * one datagram's handling (when the window opened) to the next one's arrival is compared with it. Shorter: it was
 * caught, the window stays. Longer, but within the configured maximum: a longer window would have caught it, so
 * it doubles (from GROW_START_NS). Longer than the maximum: spinning cannot help, so it halves, to nothing once
 * under GROW_START_NS. So on a path whose round trip exceeds the maximum (a slow client, a long wire) polling dies
 * out after a few datagrams instead of burning the window after every one. Only lock-step transfers poll (see
 * on_readable in transfer_socket.c for why).
 * The price where it does poll is CPU time on a core (host CPU on a virtual machine) that would otherwise idle or
 * run something else, while lock-step transfers run and for at most one window after the last datagram.
 *
 * The idle handle is unreferenced, so it never keeps a process alive, and it is closed when its environment is
 * torn down (an asynchronous cleanup hook, since a libuv handle closes on a later turn of the loop). One state per
 * thread: Node runs one environment per thread (the main thread, each worker), each with its own loop.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <uv.h>

#include "busy_poll.h"
#include "napi_args.h"

/* Longest window accepted: a second of spinning after each datagram is already far past any use. */
#define MAX_WINDOW_US 1000000
/* Where a window that has shrunk to nothing grows from (cpuidle-haltpoll's guest_halt_poll_grow_start is 50 µs;
 * the round trips this has to catch are shorter). */
#define GROW_START_NS 10000

typedef struct busy_poll {
  uv_idle_t idle;
  napi_async_cleanup_hook_handle cleanup;
  /* The configured maximum (busyPoll); 0: off. */
  uint64_t max_ns;
  /* The window now, 0 … max_ns, adapted at each datagram. */
  uint64_t window_ns;
  /* When a transfer socket last finished handling a datagram of its peer (uv_hrtime, ns): where the window opened;
   * 0: none since configured. */
  uint64_t last_ns;
} busy_poll;

/* This thread's state, made by the first busyPoll() with a window, gone when the environment is torn down. */
static _Thread_local busy_poll *state;

static void on_idle(uv_idle_t *idle) {
  busy_poll *b = idle->data;
  if (uv_hrtime() - b->last_ns > b->window_ns) uv_idle_stop(idle);
}

void busy_poll_touch(uint64_t arrived_ns) {
  busy_poll *b = state;
  if (b == NULL || b->max_ns == 0) return;
  if (b->last_ns != 0) {
    /* From the end of the last handling (when the window opened) to this datagram's arrival: the time the window
     * had to cover, without the handling on either side. */
    uint64_t gap = arrived_ns > b->last_ns ? arrived_ns - b->last_ns : 0;
    if (gap > b->max_ns) {
      /* Below where a window grows from, half a window is not worth keeping: off until a gap shows it would do. */
      b->window_ns = b->window_ns / 2 < GROW_START_NS ? 0 : b->window_ns / 2;
    } else if (gap > b->window_ns) {
      uint64_t grown = b->window_ns < GROW_START_NS ? GROW_START_NS : b->window_ns * 2;
      b->window_ns = grown < b->max_ns ? grown : b->max_ns;
    }
  }
  b->last_ns = uv_hrtime();
  if (b->window_ns == 0) return;
  if (!uv_is_active((uv_handle_t *)&b->idle)) uv_idle_start(&b->idle, on_idle);
}

static void on_closed(uv_handle_t *handle) {
  busy_poll *b = handle->data;
  if (b->cleanup != NULL) napi_remove_async_cleanup_hook(b->cleanup);
  free(b);
}

static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *data) {
  (void)handle;
  busy_poll *b = data;
  if (state == b) state = NULL;
  uv_close((uv_handle_t *)&b->idle, on_closed);
}

static busy_poll *create(napi_env env) {
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  busy_poll *b = calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  if (uv_idle_init(loop, &b->idle) != 0) {
    free(b);
    return NULL;
  }
  b->idle.data = b;
  uv_unref((uv_handle_t *)&b->idle);
  if (napi_add_async_cleanup_hook(env, on_env_cleanup, b, &b->cleanup) != napi_ok) {
    /* Not registered, so nothing would close it at teardown: closed now, freed by its close callback. */
    b->cleanup = NULL;
    uv_close((uv_handle_t *)&b->idle, on_closed);
    return NULL;
  }
  return b;
}

napi_value busy_poll_set(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t micros = 0;
  if (!get_args(env, info, 1, argv) ||
      !get_integer(env, argv[0], 0, MAX_WINDOW_US, "the busy-poll window must be an integer from 0 to 1000000 µs",
                   &micros)) {
    return NULL;
  }
  if (state == NULL && micros > 0) {
    state = create(env);
    if (state == NULL) {
      napi_throw_error(env, "ERR_TFTP_SOCKET_NAPI", "fleetboot_tftp_socket: could not set up busy polling");
      return NULL;
    }
  }
  if (state != NULL) {
    /* A new maximum starts afresh: the whole window, no history. */
    state->max_ns = (uint64_t)micros * 1000;
    state->window_ns = state->max_ns;
    state->last_ns = 0;
    if (micros == 0) uv_idle_stop(&state->idle);
  }
  return NULL;
}

napi_value busy_poll_active(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  bool active = state != NULL && uv_is_active((uv_handle_t *)&state->idle);
  if (napi_get_boolean(env, active, &result) != napi_ok) return NULL;
  return result;
}

napi_value busy_poll_window(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  double micros = state == NULL ? 0 : (double)state->window_ns / 1000;
  if (napi_create_double(env, micros, &result) != napi_ok) return NULL;
  return result;
}
