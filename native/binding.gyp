{
  # One small N-API addon in plain C (node_api.h only, no npm dependency): see docs/dhcp-interfaces.md.
  "targets": [
    {
      "target_name": "fleetboot_netdev",
      "sources": ["bind_device.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
