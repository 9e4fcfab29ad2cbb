/*
 * fleetboot_netdev: pins an IPv4 UDP socket to one network interface with SO_BINDTODEVICE (socket(7)).
 *
 * Node's dgram cannot say which interface a datagram arrived on (no IP_PKTINFO, nodejs/node#59670), and a socket
 * bound to a unicast address never receives 255.255.255.255. A socket bound to 0.0.0.0:port *and* to a device
 * receives only what arrives on that device, and sends everything, limited broadcast included, out of it without
 * any route (docs/dhcp-interfaces.md). Linux only.
 *
 * openUdpSocket creates the socket already pinned, before bind(2), so no datagram from another interface can be
 * queued on it; Node adopts the descriptor with the documented `socket.bind({ fd })` (nodejs/node#21745).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>

#include "napi_args.h"

#define CHECK_NAPI(env, call)                                                                    \
  do {                                                                                           \
    if ((call) != napi_ok) {                                                                     \
      napi_throw_error((env), "ERR_NETDEV_NAPI", "fleetboot_netdev: N-API call failed: " #call); \
      return NULL;                                                                               \
    }                                                                                            \
  } while (0)

static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
  return NULL;
}

/* Reads argument `index` as an interface name: 1 to IFNAMSIZ-1 bytes of UTF-8 without NUL (the kernel's limit). */
static int get_ifname(napi_env env, napi_value value, char out[IFNAMSIZ]) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "the interface name must be a string");
    return 0;
  }
  if (length == 0 || length > IFNAMSIZ - 1) {
    throw_range(env, "an interface name has 1 to 15 bytes (IFNAMSIZ - 1, netdevice(7))");
    return 0;
  }
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, value, out, IFNAMSIZ, &copied) != napi_ok || copied != length ||
      strlen(out) != length) {
    throw_range(env, "an interface name cannot contain NUL");
    return 0;
  }
  return 1;
}

static int set_device(int fd, const char *ifname) {
  /* socket(7): the option value is a NUL-terminated name of at most IFNAMSIZ bytes. */
  return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)(strlen(ifname) + 1));
}

/* openUdpSocket(ifname, port[, reuseAddress]): fd. An AF_INET datagram socket pinned to `ifname`, then bound to
 * 0.0.0.0:port; non-blocking and close-on-exec, as libuv wants. No SO_REUSEADDR by default: sockets pinned to
 * different devices never conflict at bind(2), so one per interface needs none, and without it a second server on
 * the same interface (or an unpinned 0.0.0.0:port socket) makes bind fail with EADDRINUSE instead of silently
 * sharing the port. `reuseAddress` true sets it before bind: for the DHCP probe's client port 68, which a DHCP
 * client on the host (ISC dhclient binds 0.0.0.0:68 with SO_REUSEADDR) may hold too; every socket on the port then
 * receives the broadcast answers, and each client keeps the ones with its own xid. */
static napi_value open_udp_socket(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  char ifname[IFNAMSIZ] = {0};
  int64_t port = 0;
  bool reuse = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "fleetboot_netdev: missing arguments");
    return NULL;
  }
  if (!get_ifname(env, argv[0], ifname) ||
      !get_integer(env, argv[1], 0, 65535, "the port must be an integer from 0 to 65535", &port)) {
    return NULL;
  }
  if (argc > 2 && napi_get_value_bool(env, argv[2], &reuse) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fleetboot_netdev: reuseAddress must be a boolean");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(AF_INET, SOCK_DGRAM) for", ifname, errno);
  const char *step = NULL;
  int one = 1;
  if (set_device(fd, ifname) != 0) {
    step = "SO_BINDTODEVICE";
  } else if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    step = "SO_REUSEADDR";
  } else {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons((uint16_t)port);
    if (bind(fd, (const struct sockaddr *)&address, sizeof address) != 0) step = "bind(0.0.0.0) pinned to";
  }
  if (step != NULL) {
    int err = errno;
    close(fd);
    return throw_errno(env, step, ifname, err);
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_int32(env, fd, &result));
  return result;
}

/* bindToDevice(fd, ifname): void. Pins an existing socket. */
static napi_value bind_to_device(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char ifname[IFNAMSIZ] = {0};
  int64_t fd = 0;
  if (!get_args(env, info, 2, argv) ||
      !get_integer(env, argv[0], 0, INT_MAX, "the file descriptor must be a non-negative integer", &fd) ||
      !get_ifname(env, argv[1], ifname)) {
    return NULL;
  }
  if (set_device((int)fd, ifname) != 0) return throw_errno(env, "SO_BINDTODEVICE", ifname, errno);
  return NULL;
}

/* boundDevice(fd): string. The device the socket is pinned to ('' when none), read back with getsockopt(2):
 * proof that the option took effect. Throws ENXIO when the device has been deleted since. */
static napi_value bound_device(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd = 0;
  if (!get_args(env, info, 1, argv) ||
      !get_integer(env, argv[0], 0, INT_MAX, "the file descriptor must be a non-negative integer", &fd)) {
    return NULL;
  }
  char name[IFNAMSIZ + 1] = {0};
  socklen_t length = IFNAMSIZ;
  if (getsockopt((int)fd, SOL_SOCKET, SO_BINDTODEVICE, name, &length) != 0) {
    int err = errno;
    char subject[32];
    snprintf(subject, sizeof subject, "fd %d", (int)fd);
    return throw_errno(env, "getsockopt(SO_BINDTODEVICE) on", subject, err);
  }
  /* The kernel reports the length with its NUL, or 0 for an unbound socket. */
  size_t used = length > 0 ? strnlen(name, (size_t)length) : 0;
  napi_value result;
  CHECK_NAPI(env, napi_create_string_utf8(env, name, used, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"openUdpSocket", NULL, open_udp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindToDevice", NULL, bind_to_device, NULL, NULL, NULL, napi_enumerable, NULL},
      {"boundDevice", NULL, bound_device, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK_NAPI(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}
