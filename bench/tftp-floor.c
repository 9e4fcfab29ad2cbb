/*
 * tftp-floor: the least a TFTP server can do for the kit's transfers, to find how fast the kit's client can go
 * when the server costs next to nothing (bench/README.md "The clients' ceiling"). Not a server to use: read requests
 * only, octet only, one file in memory per name, no retransmission (the kit's runs lose nothing; a transfer idle for
 * 3 s is dropped). Per transfer a socket of its own, connected to the client (RFC 1350 §4: a new TID), all watched
 * by one epoll; the ACK of the last block sent sends the next window (RFC 7440; windowsize as the client asks, up
 * to 64, else 1), one send(2) a block, nothing else.
 *
 *   tftp-floor ADDRESS PORT ROOT [spin] [unconnected]
 *
 * With `spin` it polls epoll with a zero timeout while a transfer has blocks to send, instead of sleeping in it:
 * fleetboot's busy polling (native/busy_poll.c) without its adaptive window. The kit's client does not send the
 * final ACK of every transfer, so a transfer stops counting once its final block is out. Run by
 * bench/servers/tftp-floor.sh under the kit's server contract. With `unconnected` the transfer sockets are not
 * connected and every datagram names its peer (sendmsg(2) with an address), as a server must that answers a
 * stranger's datagram with ERROR 5 (RFC 1350 §4; a connected socket never sees it): fleetboot's sockets are so.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 8
#define MAX_TRANSFERS 4096
#define IDLE_DROP_NS (3ULL * 1000000000ULL)

typedef struct {
  char name[256];
  uint8_t *data;
  size_t size;
} file_t;

typedef struct {
  int fd;
  int slot;
  const file_t *file;
  uint32_t block_size;
  uint32_t window;
  uint64_t acked; /* the last block acknowledged (0: none, or the OACK) */
  uint64_t sent;  /* the last block sent (0 while the OACK is in flight) */
  uint64_t total; /* blocks in all: size / block_size + 1, the last one short or empty */
  uint64_t touched_ns;
  struct sockaddr_in peer;
} transfer_t;

static file_t files[MAX_FILES];
static int file_count;
static const char *root;
static struct sockaddr_in server_address;
static int epoll_fd;
static int listener_marker;
/* Transfers with blocks still to send: spin only while there are any. */
static long active;
static bool connected_sockets = true;
/* Every running transfer, for the idle sweep. */
static transfer_t *table[MAX_TRANSFERS];

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* The file ROOT/name, read into memory at its first request; no path separators, no dot files. */
static const file_t *load(const char *name) {
  for (int i = 0; i < file_count; i++)
    if (strcmp(files[i].name, name) == 0) return &files[i];
  if (file_count == MAX_FILES || strchr(name, '/') != NULL || name[0] == '.' || strlen(name) >= 256) return NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", root, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return NULL;
  }
  file_t *f = &files[file_count];
  f->data = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (f->data != NULL && got < (size_t)st.st_size) {
    ssize_t n = read(fd, f->data + got, (size_t)st.st_size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (f->data == NULL || got != (size_t)st.st_size) {
    free(f->data);
    return NULL;
  }
  strcpy(f->name, name);
  f->size = got;
  file_count++;
  return f;
}

/* RFC 1350 §5 DATA: opcode 3, the block number modulo 65536, the block. */
static void send_block(transfer_t *t, uint64_t block) {
  uint8_t header[4] = {0, 3, (uint8_t)(block >> 8), (uint8_t)block};
  uint64_t offset = (block - 1) * t->block_size;
  size_t length = t->file->size - offset < t->block_size ? t->file->size - offset : t->block_size;
  struct iovec v[2] = {{header, 4}, {(void *)(t->file->data + offset), length}};
  struct msghdr message = {.msg_iov = v, .msg_iovlen = 2};
  if (!connected_sockets) {
    message.msg_name = &t->peer;
    message.msg_namelen = sizeof t->peer;
  }
  if (sendmsg(t->fd, &message, 0) < 0 && errno != EAGAIN) perror("tftp-floor: sendmsg");
}

static void finish(transfer_t *t) {
  table[t->slot] = NULL;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
  close(t->fd);
  if (t->sent < t->total) active--;
  free(t);
}

/* The next window after the last block acknowledged. */
static void send_window(transfer_t *t) {
  uint64_t last = t->acked + t->window < t->total ? t->acked + t->window : t->total;
  for (uint64_t block = t->acked + 1; block <= last; block++) send_block(t, block);
  if (t->sent < t->total && last == t->total) active--;
  t->sent = last;
}

/* RFC 1350 §5 RRQ: opcode 1, file name, mode, then RFC 2347 options as name/value pairs, each NUL-terminated. The
 * OACK grants blksize (RFC 2348) and tsize (RFC 2349) as asked, and windowsize (RFC 7440) as 1. */
static void on_request(const uint8_t *p, size_t n, const struct sockaddr_in *client) {
  if (n < 4 || p[0] != 0 || p[1] != 1 || p[n - 1] != 0) return;
  const char *fields[16];
  int count = 0;
  for (size_t at = 2; at < n && count < 16;) {
    fields[count++] = (const char *)p + at;
    at += strlen((const char *)p + at) + 1;
  }
  if (count < 2 || strcasecmp(fields[1], "octet") != 0) return;
  const file_t *file = load(fields[0]);
  if (file == NULL) return;
  int slot = 0;
  while (slot < MAX_TRANSFERS && table[slot] != NULL) slot++;
  if (slot == MAX_TRANSFERS) return;
  transfer_t *t = calloc(1, sizeof *t);
  if (t == NULL) return;
  t->slot = slot;
  t->file = file;
  t->peer = *client;
  t->block_size = 512;
  t->window = 1;
  char oack[512] = {0, 6};
  size_t oack_length = 2;
  for (int i = 2; i + 1 < count; i += 2) {
    char value[32];
    if (strcasecmp(fields[i], "blksize") == 0) {
      long size = strtol(fields[i + 1], NULL, 10);
      if (size < 8 || size > 65464) continue;
      t->block_size = (uint32_t)size;
      snprintf(value, sizeof value, "%ld", size);
    } else if (strcasecmp(fields[i], "tsize") == 0) {
      snprintf(value, sizeof value, "%zu", file->size);
    } else if (strcasecmp(fields[i], "windowsize") == 0) {
      long window = strtol(fields[i + 1], NULL, 10);
      if (window < 1) continue;
      t->window = window > 64 ? 64 : (uint32_t)window;
      snprintf(value, sizeof value, "%u", t->window);
    } else {
      continue;
    }
    if (oack_length + strlen(fields[i]) + strlen(value) + 2 > sizeof oack) break;
    oack_length += (size_t)sprintf(oack + oack_length, "%s", fields[i]) + 1;
    oack_length += (size_t)sprintf(oack + oack_length, "%s", value) + 1;
  }
  t->total = file->size / t->block_size + 1;
  t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in local = server_address;
  local.sin_port = 0;
  if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&local, sizeof local) != 0 ||
      (connected_sockets && connect(t->fd, (const struct sockaddr *)client, sizeof *client) != 0)) {
    perror("tftp-floor: transfer socket");
    if (t->fd >= 0) close(t->fd);
    free(t);
    return;
  }
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = t};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, t->fd, &event);
  table[slot] = t;
  active++;
  t->touched_ns = now_ns();
  if (oack_length > 2) {
    if (sendto(t->fd, oack, oack_length, 0, (const struct sockaddr *)&t->peer, sizeof t->peer) < 0)
      perror("tftp-floor: send OACK");
  } else {
    send_window(t);
  }
}

/* The ACK of the last block sent (or of the OACK, block 0) sends the next window; the ACK of the final block ends
 * the transfer, as does an ERROR. Any other ACK is ignored: without loss the client acknowledges whole windows. */
static void on_readable(transfer_t *t) {
  uint8_t buffer[1024];
  for (;;) {
    ssize_t n = recv(t->fd, buffer, sizeof buffer, 0);
    if (n < 0) return;
    if (n >= 4 && buffer[0] == 0 && buffer[1] == 5) {
      finish(t);
      return;
    }
    if (n < 4 || buffer[0] != 0 || buffer[1] != 4) continue;
    uint16_t acked = (uint16_t)((buffer[2] << 8) | buffer[3]);
    if (acked != (uint16_t)t->sent) continue;
    t->acked = t->sent;
    if (t->acked == t->total) {
      finish(t);
      return;
    }
    send_window(t);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: tftp-floor ADDRESS PORT ROOT [spin] [unconnected]\n");
    return 2;
  }
  root = argv[3];
  bool spin = false;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "spin") == 0) {
      spin = true;
    } else if (strcmp(argv[i], "unconnected") == 0) {
      connected_sockets = false;
    } else {
      fprintf(stderr, "tftp-floor: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  server_address.sin_family = AF_INET;
  server_address.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server_address.sin_addr) != 1) {
    fprintf(stderr, "tftp-floor: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, (struct sockaddr *)&server_address, sizeof server_address) != 0) {
    perror("tftp-floor: bind");
    return 1;
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listener_marker};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
  struct epoll_event events[256];
  uint64_t last_sweep = now_ns();
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 256, spin && active > 0 ? 0 : 1000);
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == &listener_marker) {
        uint8_t request[1024];
        struct sockaddr_in client;
        socklen_t length = sizeof client;
        ssize_t got;
        while ((got = recvfrom(listener, request, sizeof request, 0, (struct sockaddr *)&client, &length)) > 0) {
          on_request(request, (size_t)got, &client);
          length = sizeof client;
        }
      } else {
        transfer_t *t = events[i].data.ptr;
        t->touched_ns = now_ns();
        on_readable(t);
      }
    }
    /* Transfers whose client went away (the kit's client never sends the final ACK of some) are dropped once
     * nothing has come for 3 s. */
    if (n == 0 && active > 0 && now_ns() - last_sweep > IDLE_DROP_NS) {
      last_sweep = now_ns();
      for (int slot = 0; slot < MAX_TRANSFERS; slot++)
        if (table[slot] != NULL && last_sweep - table[slot]->touched_ns > IDLE_DROP_NS) finish(table[slot]);
    }
  }
}
