{
  # Small N-API addons in plain C (node_api.h, and uv.h for the event loop; no npm dependency).
  "targets": [
    {
      # SO_BINDTODEVICE for the DHCP sockets: docs/dhcp-interfaces.md.
      "target_name": "fleetboot_netdev",
      "sources": ["bind_device.c", "napi_args.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror"]
    },
    {
      # The datagram transport of a TFTP transfer: docs/tftp.md "Transfer sockets".
      "target_name": "fleetboot_tftp_socket",
      "sources": ["transfer_socket.c", "busy_poll.c", "napi_args.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
