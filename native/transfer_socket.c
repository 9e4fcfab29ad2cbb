/*
 * fleetboot_tftp_socket: the datagram transport of one TFTP read transfer (src/net/tftp-transfer-socket.ts).
 *
 * Why native: a lock-step transfer (RFC 1350, windowsize 1) is one ACK in and one DATA out per block, and Node's
 * dgram spends more per datagram than the whole transfer logic does (profiled, bench/README.md "TFTP"): an
 * ArrayBuffer and an address object per datagram received, a SendWrap and a deferred call per datagram sent.
 * This socket is watched by the event loop Node itself runs (a uv_poll_t on napi_get_uv_event_loop), so there is
 * no thread and no lock; it hands an ACK from the transfer's peer to JavaScript as one integer, and sends DATA as
 * views of the file's bytes — the 4-octet header from a table built once, the payload in place — a window
 * (RFC 7440) as one UDP GSO send where the kernel segments it, else one sendmmsg(2).
 *
 * Which blocks to send, when to retransmit and when to give up are decided by the pure state machine of
 * src/net/tftp-window.ts. The one thing done here alone is the autopilot's step, when JavaScript has switched it
 * on: the ACK of a whole window sends the next window, by the rule of TransferWindow.nextOnFullAck, and the
 * transfer replays those ACKs when the socket reports them (docs/tftp.md "The autopilot"). Every datagram other
 * than a peer's ACK — a stranger's (RFC 1350 §4 TID check), an
 * ERROR, a short or unknown packet — reaches JavaScript whole, as dgram would have delivered it. For a lock-step
 * transfer, a readable event that brought a datagram of the peer also keeps the loop from sleeping for the
 * busy-poll window, when one is set (busyPoll, native/busy_poll.c).
 * Linux only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "busy_poll.h"
#include "napi_args.h"

#define CHECK_NAPI(env, call)                                                                          \
  do {                                                                                                 \
    if ((call) != napi_ok) {                                                                           \
      napi_throw_error((env), "ERR_TFTP_SOCKET_NAPI", "fleetboot_tftp_socket: N-API call failed: " #call); \
      return NULL;                                                                                     \
    }                                                                                                  \
  } while (0)

/* RFC 1350 §5: opcodes of DATA and ACK. */
#define OPCODE_DATA 3
#define OPCODE_ACK 4
/* Datagrams read per readiness event before the loop serves other handles (fairness among transfers). */
#define MAX_READS_PER_EVENT 64
/* Datagrams per sendmmsg(2) call, where a window is not a segmented send (send_each). */
#define SEND_BATCH 64
/* UDP GSO (send_segmented): at most this many segments per send (UDP_MAX_SEGMENTS of Linux 4.18, since raised),
 * and a payload of at most 65535 − 20 − 8 octets, the limit of one IPv4 datagram before segmentation (IPv6's is a
 * little larger; this one serves both). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_PAYLOAD 65507
/* Largest UDP payload over IPv4 (65535 − 8 − 20); a TFTP peer sends at most an ERROR with a long message. */
#define RECEIVE_BUFFER_SIZE 65536

/* Every DATA header there is (opcode 3, then the u16 block number), 65536 × 4 octets built once and only read
 * afterwards; shared by every environment (worker threads included), hence built under pthread_once. */
static uint8_t data_headers[65536 * 4];
static pthread_once_t data_headers_once = PTHREAD_ONCE_INIT;

static void build_data_headers(void) {
  for (uint32_t n = 0; n < 65536; n++) {
    data_headers[n * 4] = 0;
    data_headers[n * 4 + 1] = OPCODE_DATA;
    data_headers[n * 4 + 2] = (uint8_t)(n >> 8);
    data_headers[n * 4 + 3] = (uint8_t)(n & 0xff);
  }
}

/* One per thread: each Node environment (the main thread, every worker) runs its own loop on its own thread. */
static _Thread_local uint8_t receive_buffer[RECEIVE_BUFFER_SIZE];

typedef struct transfer_socket {
  uv_poll_t poll;
  napi_env env;
  int fd;
  int family;
  /* The client's TID (RFC 1350 §4): address and port. DATA goes there; ACKs from there take the fast path. */
  struct sockaddr_storage peer;
  socklen_t peer_length;
  napi_ref on_ack;
  napi_ref on_acks;
  napi_ref on_datagram;
  napi_ref on_error;
  /* An object standing for this socket in async_hooks, so that callbacks run in a proper callback scope. */
  napi_ref resource;
  napi_async_context async_context;
  /* The transfer's bytes when they are in memory (octet mode): kept alive by this reference until close. */
  napi_ref data_ref;
  const uint8_t *data;
  size_t data_length;
  uint32_t block_size;
  /* The autopilot (autopilot()): while on, an ACK of the whole window sent (u16 of ap_sent) makes this socket send
   * the next window itself — what the transfer's window would answer (src/net/tftp-window.ts nextOnFullAck) — and
   * count it in ap_pending instead of calling JavaScript. Anything else reports the count first, then goes to
   * JavaScript as before, and switches the autopilot off until the transfer switches it on again. */
  bool ap_on;
  int64_t ap_sent;
  int64_t ap_total;
  int64_t ap_window;
  uint32_t ap_pending;
  /* When the last of them arrived (uv_hrtime, ns): reported as an age, so that the transfer's timer and stall limit
   * count from the client's last ACK, not from the report. */
  uint64_t ap_last_at;
  /* The transfer moves one block per round trip (windowsize 1, lockStep()): its peer's datagrams keep the loop
   * polling for the busy-poll window. */
  bool lock_step;
  /* The kernel cannot or will not segment for this socket (send_segmented): a datagram per block from then on. */
  bool gso_refused;
  /* Segmented sends made (segmentation()). */
  uint64_t gso_sends;
  /* close() was called: no callback, no send from now on. */
  bool closed;
  /* libuv has finished closing the poll handle (its close callback ran). */
  bool handle_closed;
  /* The JavaScript external that owns this struct was collected. Freed once both are true. */
  bool finalized;
  /* The references to JavaScript are deleted (once: from the close callback or the finalizer). */
  bool released;
  /* Closing from the environment's cleanup hook, which is removed by running (napi_add_env_cleanup_hook). */
  bool in_cleanup_hook;
} transfer_socket;

static int get_function(napi_env env, napi_value value, const char *what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return 0;
  }
  return 1;
}

/* The bytes of a Uint8Array (a Buffer is one): pointer to its first element and its length. */
static int get_bytes(napi_env env, napi_value value, const uint8_t **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *pointer = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fleetboot_tftp_socket: expected a Uint8Array");
    return 0;
  }
  *data = pointer;
  return 1;
}

/* Marks the externals this addon makes, so that no other external is ever taken for a transfer socket. */
static const napi_type_tag socket_tag = {0x8f1c2d3e4a5b6c7dULL, 0x1e2f3a4b5c6d7e8fULL};

static int get_socket(napi_env env, napi_value value, transfer_socket **out) {
  void *pointer = NULL;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &socket_tag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &pointer) != napi_ok || pointer == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fleetboot_tftp_socket: not a transfer socket");
    return 0;
  }
  *out = pointer;
  return 1;
}

/* Parses an IPv4 or IPv6 literal (an IPv6 one with an optional %scope, as Node writes link-local addresses) and a
 * port into a socket address of `family` (AF_UNSPEC: whichever the literal is). 0 when it is not one. */
static int parse_address(const char *text, int port, int family, struct sockaddr_storage *out, socklen_t *length) {
  memset(out, 0, sizeof *out);
  if (family != AF_INET6) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons((uint16_t)port);
      *length = sizeof *v4;
      return 1;
    }
    if (family == AF_INET) return 0;
  }
  char host[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
  if (strlen(text) >= sizeof host) return 0;
  strcpy(host, text);
  uint32_t scope = 0;
  char *percent = strchr(host, '%');
  if (percent != NULL) {
    *percent = '\0';
    const char *zone = percent + 1;
    scope = if_nametoindex(zone);
    if (scope == 0) {
      char *end = NULL;
      if (*zone < '0' || *zone > '9') return 0; /* strtoul would take a sign or leading blanks */
      unsigned long numeric = strtoul(zone, &end, 10);
      if (*end != '\0' || numeric > UINT32_MAX) return 0;
      scope = (uint32_t)numeric;
    }
  }
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) return 0;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons((uint16_t)port);
  v6->sin6_scope_id = scope;
  *length = sizeof *v6;
  return 1;
}

/* The address as Node's dgram writes it in `rinfo.address` (an IPv6 scope as %ifname), and the port. */
static void format_address(const struct sockaddr_storage *address, char *text, size_t size, int *port) {
  text[0] = '\0';
  *port = 0;
  if (address->ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
    inet_ntop(AF_INET, &v4->sin_addr, text, (socklen_t)size);
    *port = ntohs(v4->sin_port);
  } else if (address->ss_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
    inet_ntop(AF_INET6, &v6->sin6_addr, text, (socklen_t)size);
    *port = ntohs(v6->sin6_port);
    char zone[IFNAMSIZ];
    if (v6->sin6_scope_id != 0 && if_indextoname(v6->sin6_scope_id, zone) != NULL) {
      size_t used = strlen(text);
      snprintf(text + used, size - used, "%%%s", zone);
    }
  }
}

/* An address literal argument and a port argument (1 to 65535) as a socket address of `family`; throws naming
 * `what` and returns 0 when either is not one. */
static int get_address(napi_env env, napi_value address, napi_value port_value, int family, const char *what,
                       struct sockaddr_storage *out, socklen_t *length) {
  int64_t port = 0;
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
  size_t text_length = 0;
  if (!get_integer(env, port_value, 1, 65535, "the port must be an integer from 1 to 65535", &port)) return 0;
  if (napi_get_value_string_utf8(env, address, text, sizeof text, &text_length) != napi_ok ||
      text_length + 1 >= sizeof text || !parse_address(text, (int)port, family, out, length)) {
    char message[128];
    snprintf(message, sizeof message, "%s must be an address literal of the socket's family", what);
    napi_throw_range_error(env, "ERR_INVALID_ADDRESS", message);
    return 0;
  }
  return 1;
}

static bool is_peer(const transfer_socket *s, const struct sockaddr_storage *from) {
  if (s->peer_length == 0 || from->ss_family != s->peer.ss_family) return false;
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    const struct sockaddr_in *b = (const struct sockaddr_in *)&s->peer;
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
  const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&s->peer;
  return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
         memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
}

/* Whether blocks first … first + count − 1 lie in the data: the final block starts at its end at the latest (it is
 * empty when the size is a multiple of the block size); compared without the product, which could overflow. */
static bool within_data(const transfer_socket *s, int64_t first, int64_t count) {
  return (uint64_t)(first + count - 2) <= s->data_length / s->block_size;
}

/* The payload of DATA block `index`: where it starts in the data and how long it is (the final block is short). */
static void block_vectors(const transfer_socket *s, int64_t index, struct iovec vectors[2]) {
  uint64_t offset = (uint64_t)(index - 1) * s->block_size;
  size_t payload = s->data_length - offset < s->block_size ? s->data_length - offset : s->block_size;
  /* The wire number is the index modulo 65536 (protocol-digest §4.3: the block number wraps). */
  vectors[0].iov_base = &data_headers[(index & 0xffff) * 4];
  vectors[0].iov_len = 4;
  vectors[1].iov_base = (void *)(s->data + offset);
  vectors[1].iov_len = payload;
}

/* Sends up to SEND_BATCH blocks from `first` with one sendmmsg(2): a datagram each. Returns how many the kernel
 * took (0 when it took none). */
static int64_t send_each(transfer_socket *s, int64_t first, int64_t count) {
  struct mmsghdr messages[SEND_BATCH];
  struct iovec vectors[SEND_BATCH][2];
  int batch = (int)(count < SEND_BATCH ? count : SEND_BATCH);
  memset(messages, 0, sizeof(struct mmsghdr) * (size_t)batch);
  for (int k = 0; k < batch; k++) {
    block_vectors(s, first + k, vectors[k]);
    messages[k].msg_hdr.msg_name = &s->peer;
    messages[k].msg_hdr.msg_namelen = s->peer_length;
    messages[k].msg_hdr.msg_iov = vectors[k];
    messages[k].msg_hdr.msg_iovlen = 2;
  }
  for (;;) {
    int taken = sendmmsg(s->fd, messages, (unsigned)batch, 0);
    if (taken < 0 && errno == EINTR) continue;
    return taken < 0 ? 0 : taken;
  }
}

/* How many of the `count` blocks left one segmented send carries: every segment but the last must be
 * exactly one full DATA datagram long, and only the file's final block is short, so any run of blocks qualifies;
 * bounded by the kernel's segment limit and by the largest UDP payload. 0 or 1: not worth segmenting. */
static int gso_segments(const transfer_socket *s, int64_t count) {
  if (s->gso_refused) return 0;
  int64_t fit = GSO_MAX_PAYLOAD / ((int64_t)s->block_size + 4);
  if (fit > GSO_MAX_SEGMENTS) fit = GSO_MAX_SEGMENTS;
  return (int)(count < fit ? count : fit);
}

/* Sends `segments` blocks from `first` as one UDP GSO datagram (UDP_SEGMENT, Linux 4.18): the kernel cuts it into
 * one datagram per block of block_size + 4 octets — on the wire the same datagrams sendmmsg(2) would send — after
 * one pass down the stack instead of one per block, in the NIC where it can segment, in software where it cannot.
 * All or nothing. Returns how many blocks went; 0 when the send buffer is full (they are lost, as a datagram
 * sendmmsg(2) cannot queue is, and the retransmission timer recovers them); −1 on any other failure, for the caller
 * to send them one by one (send_window): the kernel declining the segment size (a path MTU below a block, a device
 * without checksum offload), and anything that might hold for the big datagram only, such as a firewall rule on
 * the output hook, which sees a window before it is cut. */
static int64_t send_segmented(transfer_socket *s, int64_t first, int segments) {
  struct iovec vectors[GSO_MAX_SEGMENTS][2];
  for (int k = 0; k < segments; k++) block_vectors(s, first + k, vectors[k]);
  union {
    char buffer[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {
      .msg_name = &s->peer,
      .msg_namelen = s->peer_length,
      .msg_iov = &vectors[0][0],
      .msg_iovlen = (size_t)segments * 2,
      .msg_control = control.buffer,
      .msg_controllen = sizeof control.buffer,
  };
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_UDP;
  header->cmsg_type = UDP_SEGMENT;
  header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t segment_size = (uint16_t)(s->block_size + 4);
  memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
  for (;;) {
    if (sendmsg(s->fd, &message, 0) >= 0) {
      s->gso_sends++;
      return segments;
    }
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -1;
  }
}

/* Sends DATA blocks first … first + count − 1 of the data to the peer, in order; returns how many the kernel took.
 * The caller has checked that they lie within the data. */
static int64_t send_window(transfer_socket *s, int64_t first, int64_t count) {
  int64_t sent = 0;
  while (sent < count) {
    int segments = gso_segments(s, count - sent);
    int64_t taken = segments >= 2 ? send_segmented(s, first + sent, segments) : -1;
    if (taken < 0) {
      taken = send_each(s, first + sent, count - sent);
      /* The same blocks went one by one where the segmented send failed: the kernel takes this peer's datagrams
       * but not the segmented one, so this socket stops segmenting. (Where both fail, the peer is unreachable for
       * now, which says nothing of segmenting.) */
      if (taken > 0 && segments >= 2) s->gso_refused = true;
    }
    if (taken <= 0) break;
    sent += taken;
  }
  return sent;
}

/* An exception thrown by a callback is the process's uncaught exception, as it would be from a dgram handler. */
static bool rethrow_pending(napi_env env, napi_status status) {
  if (status == napi_ok) return false;
  bool pending = false;
  napi_value error;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &error) == napi_ok) {
    napi_fatal_exception(env, error);
  }
  return true;
}

static napi_status call(napi_env env, napi_ref function_ref, size_t argc, const napi_value *argv) {
  napi_value function, receiver, ignored;
  napi_status status = napi_get_reference_value(env, function_ref, &function);
  if (status != napi_ok) return status;
  status = napi_get_undefined(env, &receiver);
  if (status != napi_ok) return status;
  return napi_call_function(env, receiver, function, argc, argv, &ignored);
}

static napi_status deliver_ack(transfer_socket *s, uint16_t block) {
  napi_value argv[1];
  napi_status status = napi_create_uint32(s->env, block, &argv[0]);
  return status == napi_ok ? call(s->env, s->on_ack, 1, argv) : status;
}

static napi_status deliver_datagram(transfer_socket *s, size_t length, const struct sockaddr_storage *from) {
  napi_env env = s->env;
  napi_value argv[3];
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  int port = 0;
  format_address(from, text, sizeof text, &port);
  void *copy = NULL;
  napi_status status = napi_create_buffer_copy(env, length, receive_buffer, &copy, &argv[0]);
  if (status == napi_ok) status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &argv[1]);
  if (status == napi_ok) status = napi_create_int32(env, port, &argv[2]);
  return status == napi_ok ? call(env, s->on_datagram, 3, argv) : status;
}

static napi_status deliver_error(transfer_socket *s, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value argv[1];
  napi_status status = napi_create_string_utf8(s->env, message, NAPI_AUTO_LENGTH, &argv[0]);
  return status == napi_ok ? call(s->env, s->on_error, 1, argv) : status;
}

/* How long ago the last carried-out ACK arrived, in ms. */
static double pending_age_ms(const transfer_socket *s) {
  return (double)(uv_hrtime() - s->ap_last_at) / 1e6;
}

static napi_status deliver_acks(transfer_socket *s, uint32_t count) {
  napi_value argv[2];
  napi_status status = napi_create_uint32(s->env, count, &argv[0]);
  if (status == napi_ok) status = napi_create_double(s->env, pending_age_ms(s), &argv[1]);
  return status == napi_ok ? call(s->env, s->on_acks, 2, argv) : status;
}

/* The scopes a call into JavaScript needs, opened at the first such call of a readiness event: an event whose
 * datagrams the autopilot handled alone calls nothing and opens nothing. */
typedef struct {
  bool open;
  napi_handle_scope handle_scope;
  napi_callback_scope callback_scope;
} js_scope;

static bool enter_js(transfer_socket *s, js_scope *scope) {
  if (scope->open) return true;
  napi_value resource;
  if (napi_open_handle_scope(s->env, &scope->handle_scope) != napi_ok) return false;
  if (napi_get_reference_value(s->env, s->resource, &resource) != napi_ok ||
      napi_open_callback_scope(s->env, resource, s->async_context, &scope->callback_scope) != napi_ok) {
    napi_close_handle_scope(s->env, scope->handle_scope);
    return false;
  }
  scope->open = true;
  return true;
}

static void leave_js(transfer_socket *s, js_scope *scope) {
  if (!scope->open) return;
  napi_close_callback_scope(s->env, scope->callback_scope);
  napi_close_handle_scope(s->env, scope->handle_scope);
  scope->open = false;
}

/* Before anything else reaches JavaScript: the ACKs the autopilot carried out, so that the transfer's window has
 * seen them first, and the autopilot off until the transfer has looked at what comes next. */
static napi_status hand_over(transfer_socket *s) {
  s->ap_on = false;
  if (s->ap_pending == 0) return napi_ok;
  uint32_t count = s->ap_pending;
  s->ap_pending = 0;
  return deliver_acks(s, count);
}

/* Reports carried-out ACKs at least this often, so that the transfer's counters and timer never lag far. */
#define AUTOPILOT_REPORT_EVERY 256

/* The event loop says the socket is readable: read what is queued (up to MAX_READS_PER_EVENT) and hand it over.
 * A callback may close the socket; nothing is read after that. */
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  transfer_socket *s = handle->data;
  if (s->closed) return;
  /* When the datagrams arrived, as near as the loop tells: busy polling judges its window by the time from the end
   * of the last handling to this, not to the end of this one's (which would count our own work as the peer's). */
  uint64_t arrived_ns = uv_hrtime();
  napi_env env = s->env;
  js_scope scope = {.open = false};
  bool heard_peer = false;
  if (status < 0) {
    if (enter_js(s, &scope) && !rethrow_pending(env, hand_over(s))) rethrow_pending(env, deliver_error(s, "poll", -status));
    leave_js(s, &scope);
    return;
  }
  for (int reads = 0; reads < MAX_READS_PER_EVENT && !s->closed; reads++) {
    struct sockaddr_storage from;
    socklen_t from_length = sizeof from;
    ssize_t n = recvfrom(s->fd, receive_buffer, sizeof receive_buffer, 0, (struct sockaddr *)&from, &from_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int err = errno;
      if (enter_js(s, &scope) && !rethrow_pending(env, hand_over(s))) rethrow_pending(env, deliver_error(s, "recvfrom", err));
      break;
    }
    /* RFC 1350 §5: ACK = opcode 4 | block. Only the peer's, whole, take the fast path; everything else is the
     * transfer's to judge (src/net/tftp-transfer.ts). */
    bool peer = is_peer(s, &from);
    heard_peer = heard_peer || peer;
    bool ack = n >= 4 && receive_buffer[0] == 0 && receive_buffer[1] == OPCODE_ACK && peer;
    uint16_t block = ack ? (uint16_t)((receive_buffer[2] << 8) | receive_buffer[3]) : 0;
    if (ack && s->ap_on && block == (uint16_t)(s->ap_sent & 0xffff) && s->ap_sent < s->ap_total) {
      /* The whole window is acknowledged: the next one, exactly as tftp-window.ts would send it (RFC 7440 §4). */
      int64_t first = s->ap_sent + 1;
      int64_t count = s->ap_total - s->ap_sent < s->ap_window ? s->ap_total - s->ap_sent : s->ap_window;
      send_window(s, first, count);
      s->ap_sent = first + count - 1;
      s->ap_pending += 1;
      s->ap_last_at = uv_hrtime();
      if (s->ap_pending < AUTOPILOT_REPORT_EVERY) continue;
      if (!enter_js(s, &scope)) break;
      uint32_t pending = s->ap_pending;
      s->ap_pending = 0;
      if (rethrow_pending(env, deliver_acks(s, pending))) break;
      continue;
    }
    if (!enter_js(s, &scope)) break;
    napi_status delivered = hand_over(s);
    if (delivered == napi_ok && !s->closed) {
      delivered = ack ? deliver_ack(s, block) : deliver_datagram(s, (size_t)n, &from);
    }
    if (rethrow_pending(env, delivered)) break;
  }
  leave_js(s, &scope);
  /* After the answer has left: the window counts from when the peer could next reply. Only a lock-step transfer's
   * peer buys polling, not a stranger (another TID), and not a windowed transfer (RFC 7440): that pays one round
   * trip per window, so one wake-up is already shared by its blocks. Polling through the client's handling of a
   * whole window raised its rate a little for twice fleetboot's CPU per byte (bench/README.md "Busy polling", run G,
   * and "Segmented sends"). The datagram that ends a transfer (its last ACK, which
   * closes the socket from its callback, or an ERROR) opens a window too: one window at most, and the loop may
   * have another transfer's ACK to catch in it. */
  if (heard_peer && s->lock_step) busy_poll_touch(arrived_ns);
}

static void release_javascript(transfer_socket *s) {
  if (s->released) return;
  s->released = true;
  napi_env env = s->env;
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  napi_ref *refs[] = {&s->on_ack, &s->on_acks, &s->on_datagram, &s->on_error, &s->resource, &s->data_ref};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    if (*refs[i] != NULL) napi_delete_reference(env, *refs[i]);
    *refs[i] = NULL;
  }
  if (s->async_context != NULL) napi_async_destroy(env, s->async_context);
  s->async_context = NULL;
  s->data = NULL;
  s->data_length = 0;
  if (scoped) napi_close_handle_scope(env, scope);
}

static void on_handle_closed(uv_handle_t *handle) {
  transfer_socket *s = handle->data;
  s->handle_closed = true;
  if (s->finalized) {
    free(s);
    return;
  }
  release_javascript(s);
}

static void on_env_cleanup(void *data);

/* Stops reading and closes the fd at once ("the fd can be safely closed immediately after a call to
 * uv_poll_stop() or uv_close()", libuv's uv_poll_t documentation), so a caller that counts its descriptors sees it
 * gone. The handle and the references to JavaScript go in the handle's close callback, on a later turn of the loop:
 * close() may be called from inside a callback of this very socket, whose callback scope still uses them. */
static void begin_close(transfer_socket *s) {
  if (s->closed) return;
  s->closed = true;
  if (!s->in_cleanup_hook) napi_remove_env_cleanup_hook(s->env, on_env_cleanup, s);
  uv_poll_stop(&s->poll);
  /* uv_close removes the fd from the loop's epoll set at once; only then may the number be closed (and reused). */
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  close(s->fd);
  s->fd = -1;
}

/* The environment is being torn down (a worker thread ending, the process exiting) with this socket still open:
 * it stops now, before the loop could call into an environment that can no longer run JavaScript. */
static void on_env_cleanup(void *data) {
  transfer_socket *s = data;
  s->in_cleanup_hook = true;
  begin_close(s);
}

/* The external was collected (or its environment is being torn down): the references go now, while the
 * environment is certainly alive, and the struct once the handle is closed. */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  transfer_socket *s = data;
  release_javascript(s);
  s->finalized = true;
  if (!s->closed) {
    begin_close(s);
    return;
  }
  if (s->handle_closed) free(s);
}

/* open(host, onAck, onAcks, onDatagram, onError): a socket bound to host:0 (an ephemeral port, the transfer's
 * TID), watched by the event loop. onAck(block) gets the u16 of an ACK of 4 octets or more from the peer (setPeer);
 * onAcks(count, ageMs) how many ACKs the autopilot has carried out since it last said, and how long ago the last; onDatagram(bytes, address, port)
 * everything else; onError(message) a failed read (the socket is unusable). */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  char host[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
  size_t host_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_length) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "the host must be a string");
    return NULL;
  }
  if (!get_function(env, argv[1], "onAck must be a function") ||
      !get_function(env, argv[2], "onAcks must be a function") ||
      !get_function(env, argv[3], "onDatagram must be a function") ||
      !get_function(env, argv[4], "onError must be a function")) {
    return NULL;
  }
  struct sockaddr_storage local;
  socklen_t local_length = 0;
  if (host_length + 1 >= sizeof host || !parse_address(host, 0, AF_UNSPEC, &local, &local_length)) {
    napi_throw_range_error(env, "ERR_INVALID_ADDRESS", "the host must be an IPv4 or IPv6 address literal");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  CHECK_NAPI(env, napi_get_uv_event_loop(env, &loop));
  pthread_once(&data_headers_once, build_data_headers);

  int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(SOCK_DGRAM)", NULL, errno);
  if (bind(fd, (const struct sockaddr *)&local, local_length) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", NULL, err);
  }
  transfer_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "calloc", NULL, ENOMEM);
  }
  s->env = env;
  s->fd = fd;
  s->family = local.ss_family;
  /* A kernel before 4.18 knows no UDP_SEGMENT and would ignore the control message, sending a window as one
   * fragmented datagram: only a kernel that takes the option (0: no segmentation unless a send asks) segments. */
  int no_default_segmentation = 0;
  s->gso_refused =
      setsockopt(fd, SOL_UDP, UDP_SEGMENT, &no_default_segmentation, sizeof no_default_segmentation) != 0;
  int uv_status = uv_poll_init(loop, &s->poll, fd);
  if (uv_status != 0) {
    close(fd);
    free(s);
    napi_throw_error(env, uv_err_name(uv_status), uv_strerror(uv_status));
    return NULL;
  }
  s->poll.data = s;
  napi_value resource, name, external;
  bool ready = napi_create_reference(env, argv[1], 1, &s->on_ack) == napi_ok &&
               napi_create_reference(env, argv[2], 1, &s->on_acks) == napi_ok &&
               napi_create_reference(env, argv[3], 1, &s->on_datagram) == napi_ok &&
               napi_create_reference(env, argv[4], 1, &s->on_error) == napi_ok &&
               napi_create_object(env, &resource) == napi_ok &&
               napi_create_reference(env, resource, 1, &s->resource) == napi_ok &&
               napi_create_string_utf8(env, "fleetboot.TftpTransferSocket", NAPI_AUTO_LENGTH, &name) == napi_ok &&
               napi_async_init(env, resource, name, &s->async_context) == napi_ok;
  if (ready) uv_status = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (ready && uv_status == 0) ready = napi_add_env_cleanup_hook(env, on_env_cleanup, s) == napi_ok;
  bool owned = ready && uv_status == 0 && napi_create_external(env, s, finalize, NULL, &external) == napi_ok;
  if (!owned) {
    /* No external owns the struct: closed and freed here, through the same path as a collected socket. */
    release_javascript(s);
    s->finalized = true;
    begin_close(s);
    if (!ready) napi_throw_error(env, "ERR_TFTP_SOCKET_NAPI", "fleetboot_tftp_socket: could not set up the socket");
    else if (uv_status != 0) napi_throw_error(env, uv_err_name(uv_status), uv_strerror(uv_status));
    else napi_throw_error(env, "ERR_TFTP_SOCKET_NAPI", "fleetboot_tftp_socket: could not create the external");
    return NULL;
  }
  if (napi_type_tag_object(env, external, &socket_tag) != napi_ok) {
    /* The external exists and its finalizer will free the struct when it is collected: only close it here. */
    begin_close(s);
    napi_throw_error(env, "ERR_TFTP_SOCKET_NAPI", "fleetboot_tftp_socket: could not tag the socket");
    return NULL;
  }
  return external;
}

/* { first: a, second: b } as a JavaScript object. */
static napi_value object_of_two(napi_env env, const char *first, napi_value a, const char *second, napi_value b) {
  napi_value result;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_set_named_property(env, result, first, a));
  CHECK_NAPI(env, napi_set_named_property(env, result, second, b));
  return result;
}

static napi_value number_result(napi_env env, int64_t number) {
  napi_value result;
  CHECK_NAPI(env, napi_create_int64(env, number, &result));
  return result;
}

/* local(socket): { address, port } the socket is bound to, as getsockname(2) says. */
static napi_value local_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  transfer_socket *s;
  if (!get_args(env, info, 1, argv) || !get_socket(env, argv[0], &s)) return NULL;
  if (s->closed) return throw_errno(env, "local address of a closed transfer socket", NULL, EBADF);
  struct sockaddr_storage local;
  socklen_t length = sizeof local;
  if (getsockname(s->fd, (struct sockaddr *)&local, &length) != 0) return throw_errno(env, "getsockname", NULL, errno);
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  int port = 0;
  format_address(&local, text, sizeof text, &port);
  napi_value address, port_value;
  CHECK_NAPI(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address));
  CHECK_NAPI(env, napi_create_int32(env, port, &port_value));
  return object_of_two(env, "address", address, "port", port_value);
}

/* setPeer(socket, address, port): the client's TID; DATA is sent there and its ACKs take the fast path. */
static napi_value set_peer(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  transfer_socket *s;
  if (!get_args(env, info, 3, argv) || !get_socket(env, argv[0], &s)) return NULL;
  if (!get_address(env, argv[1], argv[2], s->family, "the peer", &s->peer, &s->peer_length)) s->peer_length = 0;
  return NULL;
}

/* setData(socket, bytes, blockSize): the transfer's bytes, kept alive until close; DATA block i (from 1) is
 * bytes[(i − 1) × blockSize, …) (RFC 1350 §6), the final one shorter, possibly empty. */
static napi_value set_data(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  transfer_socket *s;
  const uint8_t *data = NULL;
  size_t length = 0;
  int64_t block_size = 0;
  if (!get_args(env, info, 3, argv) || !get_socket(env, argv[0], &s) || !get_bytes(env, argv[1], &data, &length) ||
      !get_integer(env, argv[2], 8, 65464, "the block size must be an integer from 8 to 65464 (RFC 2348)",
                   &block_size)) {
    return NULL;
  }
  if (s->closed) return throw_errno(env, "setData on a closed transfer socket", NULL, EBADF);
  if (s->data_ref != NULL) napi_delete_reference(env, s->data_ref);
  s->data_ref = NULL;
  CHECK_NAPI(env, napi_create_reference(env, argv[1], 1, &s->data_ref));
  s->data = data;
  s->data_length = length;
  s->block_size = (uint32_t)block_size;
  s->ap_on = false;
  s->ap_pending = 0;
  return NULL;
}

/* autopilot(socket, sent, total, window): switches the autopilot on, the transfer having sent blocks up to `sent`
 * of `total`, `window` at a time; window 0 switches it off. It switches itself off at the first datagram it does
 * not handle, after reporting what it did (onAcks). */
static napi_value autopilot(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  transfer_socket *s;
  int64_t sent = 0, total = 0, window = 0;
  if (!get_args(env, info, 4, argv) || !get_socket(env, argv[0], &s) ||
      !get_integer(env, argv[1], 0, 9007199254740991.0, "sent must be a block index", &sent) ||
      !get_integer(env, argv[2], 1, 9007199254740991.0, "total must be a positive block count", &total) ||
      !get_integer(env, argv[3], 0, 65535, "the window must be an integer from 0 to 65535", &window)) {
    return NULL;
  }
  s->ap_on = false;
  if (window == 0 || s->closed) return NULL;
  if (s->data_ref == NULL || s->peer_length == 0) {
    napi_throw_error(env, "ERR_INVALID_STATE", "autopilot needs setData and setPeer first");
    return NULL;
  }
  if (sent > total || !within_data(s, 1, total)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "the transfer's blocks lie past the end of the data");
    return NULL;
  }
  s->ap_sent = sent;
  s->ap_total = total;
  s->ap_window = window;
  s->ap_on = true;
  return NULL;
}

/* lockStep(socket): the transfer moves one block per round trip (its window is one block, RFC 1350 §2, whether
 * the autopilot sends it or JavaScript does): from now on a datagram of its peer keeps the loop polling for the
 * busy-poll window (native/busy_poll.c). Set once, when the transfer starts. */
static napi_value lock_step(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  transfer_socket *s;
  if (!get_args(env, info, 1, argv) || !get_socket(env, argv[0], &s)) return NULL;
  s->lock_step = true;
  return NULL;
}

/* segmentation(socket): { sends, declined }: how many segmented sends this socket made (send_segmented), and
 * whether it has stopped making them (no UDP GSO in the kernel, or the kernel would not take one). */
static napi_value segmentation(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  transfer_socket *s;
  if (!get_args(env, info, 1, argv) || !get_socket(env, argv[0], &s)) return NULL;
  napi_value sends, declined;
  CHECK_NAPI(env, napi_create_double(env, (double)s->gso_sends, &sends));
  CHECK_NAPI(env, napi_get_boolean(env, s->gso_refused, &declined));
  return object_of_two(env, "sends", sends, "declined", declined);
}

/* takeAcks(socket): { count, ageMs } of the ACKs the autopilot carried out and has not reported yet, now reported:
 * how many, and how long ago the last arrived. The autopilot stays as it was: the transfer asks when its timer fires
 * or it ends. */
static napi_value take_acks(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  transfer_socket *s;
  if (!get_args(env, info, 1, argv) || !get_socket(env, argv[0], &s)) return NULL;
  uint32_t pending = s->ap_pending;
  s->ap_pending = 0;
  napi_value count, age;
  CHECK_NAPI(env, napi_create_uint32(env, pending, &count));
  CHECK_NAPI(env, napi_create_double(env, pending == 0 ? 0 : pending_age_ms(s), &age));
  return object_of_two(env, "count", count, "ageMs", age);
}

/* sendBlocks(socket, first, count): DATA blocks first … first + count − 1 of the data to the peer, in order, as
 * segmented sends or with sendmmsg(2) (send_window). Returns how many the kernel took: a datagram it refuses (a full
 * buffer, a firewall) is a lost one, which the transfer's retransmission timer recovers, as with dgram's
 * fire-and-forget sends. */
static napi_value send_blocks(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  transfer_socket *s;
  int64_t first = 0, count = 0;
  if (!get_args(env, info, 3, argv) || !get_socket(env, argv[0], &s) ||
      !get_integer(env, argv[1], 1, 9007199254740991.0, "the first block must be a positive integer", &first) ||
      !get_integer(env, argv[2], 1, 65535, "the count must be an integer from 1 to 65535", &count)) {
    return NULL;
  }
  if (s->closed) return number_result(env, 0);
  if (s->data_ref == NULL || s->peer_length == 0) {
    napi_throw_error(env, "ERR_INVALID_STATE", "sendBlocks needs setData and setPeer first");
    return NULL;
  }
  if (!within_data(s, first, count)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "a block past the end of the data");
    return NULL;
  }
  return number_result(env, send_window(s, first, count));
}

/* sendBlock(socket, index, payload): one DATA block whose payload is given (a streamed or netascii file). */
static napi_value send_block(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  transfer_socket *s;
  int64_t index = 0;
  const uint8_t *payload = NULL;
  size_t length = 0;
  if (!get_args(env, info, 3, argv) || !get_socket(env, argv[0], &s) ||
      !get_integer(env, argv[1], 1, 9007199254740991.0, "the block index must be a positive integer", &index) ||
      !get_bytes(env, argv[2], &payload, &length)) {
    return NULL;
  }
  if (s->closed) return number_result(env, 0);
  if (s->peer_length == 0) {
    napi_throw_error(env, "ERR_INVALID_STATE", "sendBlock needs setPeer first");
    return NULL;
  }
  pthread_once(&data_headers_once, build_data_headers);
  struct iovec vectors[2] = {
      {.iov_base = &data_headers[(index & 0xffff) * 4], .iov_len = 4},
      {.iov_base = (void *)payload, .iov_len = length},
  };
  struct msghdr message = {.msg_name = &s->peer, .msg_namelen = s->peer_length, .msg_iov = vectors, .msg_iovlen = 2};
  ssize_t n;
  do n = sendmsg(s->fd, &message, 0);
  while (n < 0 && errno == EINTR);
  return number_result(env, n < 0 ? 0 : 1);
}

/* send(socket, bytes, address, port): one datagram anywhere (the OACK, an ERROR to the peer or to a stranger's
 * TID). Returns 0, or the errno of a datagram the kernel refused. */
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  transfer_socket *s;
  const uint8_t *bytes = NULL;
  size_t length = 0;
  struct sockaddr_storage to;
  socklen_t to_length = 0;
  if (!get_args(env, info, 4, argv) || !get_socket(env, argv[0], &s) || !get_bytes(env, argv[1], &bytes, &length) ||
      !get_address(env, argv[2], argv[3], s->family, "the destination", &to, &to_length)) {
    return NULL;
  }
  if (s->closed) return number_result(env, EBADF);
  ssize_t n;
  do n = sendto(s->fd, bytes, length, 0, (const struct sockaddr *)&to, to_length);
  while (n < 0 && errno == EINTR);
  return number_result(env, n < 0 ? errno : 0);
}

/* close(socket): stops reading and releases the data and the callbacks at once; the fd is closed by the event
 * loop right after. A datagram already handed to the kernel still leaves. Closing twice is harmless. */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  transfer_socket *s;
  if (!get_args(env, info, 1, argv) || !get_socket(env, argv[0], &s)) return NULL;
  begin_close(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"local", NULL, local_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setPeer", NULL, set_peer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setData", NULL, set_data, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendBlocks", NULL, send_blocks, NULL, NULL, NULL, napi_enumerable, NULL},
      {"autopilot", NULL, autopilot, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeAcks", NULL, take_acks, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lockStep", NULL, lock_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentation", NULL, segmentation, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendBlock", NULL, send_block, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_datagram, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"busyPoll", NULL, busy_poll_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"busyPolling", NULL, busy_poll_active, NULL, NULL, NULL, napi_enumerable, NULL},
      {"busyPollWindow", NULL, busy_poll_window, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK_NAPI(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}
